"""The FLC certificate workbook: what a partner's first level controller certified for one period.

In Interreg the first level controller (FLC) certifies a partner's report weeks
after it was sent, and a certificate may come for any earlier period. So a
certificate does not travel inside the return: each partner gets a small
certificate workbook per period (``nc-excel templates --period N --flc``), made
like the report template and sealed the same way (its metadata sheet says
``kind=certificate``), prefilled with the amounts the partner declared per cost
category in its accepted return of that period. The partner (or its controller)
types only the certified amount per line, the reasons for deductions, the
controller's name and organisation, the certificate's date and reference.

Why a workbook rather than a sheet the coordinator fills from the paper
certificate: the certified amounts are checked against the return line by line,
at the cell; the partner holds the certificate and knows the reasons, so the
coordinator does not retype twenty-one PDFs; and a certificate is collected,
checked, answered with a feedback workbook, archived and registered exactly like
a return. A later certificate for the same partner and period replaces the
earlier one.

``schema`` holds the models that drive both ``write`` and ``read``; ``checks``
compares a certificate with the return it certifies.
"""
