"""The issue catalogue and the issue record.

Every problem found in a setup sheet or a partner return is an ``Issue``: a stable
code from ``CATALOGUE`` (what tests and scripts rely on), a severity, where it is
(file, sheet, cell) and a message and hint written for the person who has to fix
it. Codes never change meaning; prose may be improved at any time.

Each code has a ``Level``: what it is about, and so how precisely it must say where.
``issue()`` refuses to build an issue that does not name the place its level needs:
a sheet for sheet and row codes, a sheet and a cell for cell codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, computed_field


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # nothing wrong, but the partner should know how we read their file


class Level(StrEnum):
    """What an issue is about, and so what it must name for the person who fixes it."""

    FILE = "file"  # the file as a whole: its name is enough
    SHEET = "sheet"  # a sheet, or something on it as a whole (a column that is missing): names the sheet
    ROW = "row"  # one row of a table as a whole (a place proposed twice): names the sheet, and a cell of the row where known
    CELL = "cell"  # one value to change: names the sheet and the cell


@dataclass(frozen=True)
class IssueType:
    level: Level
    severity: Severity
    message: str
    hint: str


E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE
FILE, SHEET, ROW, CELL = Level.FILE, Level.SHEET, Level.ROW, Level.CELL

CATALOGUE: dict[str, IssueType] = {
    # cells
    "required": IssueType(CELL, E, "{field} is empty.", "Fill in {field}."),
    "not-a-number": IssueType(CELL, E, "{field} should be a number but is {value!r}.", "Type a plain number, such as 1234.56, without currency signs."),
    "ambiguous-number": IssueType(
        CELL,
        E,
        "{field}: {value!r} can be read as a thousands or a decimal separator.",
        "Type it without the separator (1234) or with decimals (1.234,00 or 1,234.00).",
    ),
    "not-a-whole-number": IssueType(CELL, E, "{field} should be a whole number but is {value!r}.", "Type a whole number, without decimals."),
    "not-a-date": IssueType(CELL, E, "{field} should be a date but is {value!r}.", "Type a date as 31.10.2017 or 2017-10-31."),
    "ambiguous-date": IssueType(CELL, W, "{field}: the text {value!r} was read day first, as {date}.", "If you meant {other}, type the date as year-month-day (2017-10-31) or as a date cell."),
    "not-a-choice": IssueType(CELL, E, "{field}: {value!r} is not one of the allowed values.", "Pick one of: {choices}."),
    "out-of-range": IssueType(CELL, E, "{field} is {value}, outside {low} to {high}.", "Enter a value from {low} to {high}."),
    "too-long": IssueType(CELL, E, "{field} has {length} characters; at most {limit} fit.", "Shorten the text to {limit} characters."),
    "date-outside-window": IssueType(CELL, E, "{field} {value} is outside {window} ({low} to {high}).", "Enter a date from {low} to {high}."),
    "invalid-value": IssueType(CELL, E, "{field}: {detail}", "Correct the value."),
    "error-value": IssueType(
        CELL,
        E,
        "{field} shows the error {value} (a formula that cannot be computed).",
        "Replace the formula by the value itself, or correct it so that it computes one.",
    ),
    # tables
    "missing-sheet": IssueType(SHEET, E, "The sheet {sheet} (table {table}) was not found.", "Restore the sheet from the template, or rename it back to {sheet}."),
    "missing-column": IssueType(SHEET, E, "The column {field} was not found on sheet {sheet}.", "Restore the column header {field!r} from the template."),
    "prefilled-row-missing": IssueType(ROW, E, "The row for {value} is missing from the table {table} on sheet {sheet}.", "Put the row for {value} back: copy it from your template (the feedback workbook has it restored), and do not delete rows of {table}."),
    "unexpected-row": IssueType(CELL, E, "{field} {value!r} on sheet {sheet} {why}.", "Delete the row: the rows of {table} come with the template; write anything more in a Comment."),
    "extra-column": IssueType(CELL, W, "The column {value!r} on sheet {sheet} is not part of the template and was ignored.", "Remove the column, or move its content into a comment field."),
    "number-from-text": IssueType(
        CELL,
        N,
        "{field} holds text, {value!r}, which was read as the number {number}.",
        "Nothing to do if {number} is what you meant: your workbook computes with it too. Typing numbers as plain numbers (1234.56) keeps them numbers.",
    ),
    "text-cleaned": IssueType(CELL, W, "{field}: the text held {detail}, which a workbook cannot store; it was kept without them.", "Nothing to do if the text reads as you meant (a line break pasted from another program becomes a normal line break)."),
    # files: what is wrong with the file itself, found before or while it is opened
    "unreadable-file": IssueType(FILE, E, "The file cannot be read: {detail}", "Open it in Excel or LibreOffice, save it as .xlsx and try again."),
    "empty-file": IssueType(FILE, E, "The file is empty (0 bytes).", "Save the workbook again in Excel and send it again."),
    "not-a-spreadsheet": IssueType(FILE, E, "The file is not a spreadsheet ({detail}).", "Send the report workbook (.xlsx) you received from the coordinator."),
    "corrupt-file": IssueType(FILE, E, "The file is damaged or incomplete ({detail}).", "Open it in Excel or LibreOffice, save it again as .xlsx and send it again."),
    "encrypted-file": IssueType(FILE, E, "The file is protected with a password, so it cannot be read.", "Open it, remove the password (Excel: File > Info > Protect Workbook > Encrypt with Password, clear it), save and send it again."),
    "zip-bomb": IssueType(FILE, E, "The file would unpack to {detail}, far more than a report holds; it was not opened.", "Send the report workbook itself; remove any large pictures or objects you added."),
    "xml-entities": IssueType(FILE, E, "The file contains XML entity declarations, which no spreadsheet needs; it was not read.", "Save the workbook again in Excel or LibreOffice and send it again."),
    "file-too-large": IssueType(FILE, E, "The file is {detail}; reports are accepted up to {limit}.", "Remove large pictures or objects, save and send it again."),
    "stray-cell": IssueType(CELL, E, "Sheet {sheet} has content far outside the report, at {cell}.", "Go to that cell (Ctrl+End jumps to it), clear it, save and send the workbook again."),
    "reader-crashed": IssueType(FILE, E, "The file could not be read: the reader stopped ({detail}).", "Open it in Excel or LibreOffice, save it as .xlsx and send it again."),
    "macros-ignored": IssueType(FILE, W, "The file contains macros; they were not run and are ignored.", "Next time save the report as a plain .xlsx workbook."),
    # returns: whose report it is
    "no-metadata": IssueType(FILE, E, "This workbook was not made from a {project} report template (its hidden metadata sheet is missing).", "Fill in the template the coordinator sent you (or the feedback workbook) and send that."),
    "other-project": IssueType(FILE, E, "This is a report for project {value}, not {project}.", "Send the report template of {project}."),
    "unknown-partner": IssueType(FILE, E, "The partner code {value} is not a partner of {project}.", "Use the template the coordinator made for your organisation."),
    "other-period": IssueType(FILE, E, "This is the template of reporting period {value}, not a period the project has.", "Use the template for the current period."),
    "future-period": IssueType(FILE, E, "This is the template of reporting period {value}, which only starts on {start}.", "Copy your answers into the template of period {current}, the period you report on (ask the coordinator for it), and send that. Keep your dates as they are."),
    "old-schema": IssueType(FILE, E, "This template is of an older version ({value}); the current one is {current}.", "Copy your entries into the new template the coordinator sends you."),
    "digest-mismatch": IssueType(FILE, E, "The workbook's seal does not match partner {partner} and period {period}: it was copied from another partner's or period's template, or its hidden sheet was edited.", "Use the template made for your organisation and this period."),
    "duplicate-file": IssueType(FILE, W, "The same file was already received as {value}; it was not imported again.", "Nothing to do, unless you meant to send a corrected version."),
    # returns: when they came in
    "late-return": IssueType(FILE, W, "This return for period {period} was received on {value}, after the partner deadline of {deadline}.",
                             "Nothing to change in the file. Send the next report by its deadline, or tell the coordinator in advance when you cannot."),
    "return-replaced": IssueType(FILE, W, "This return replaces the one received as {value} on {received}, which no longer counts for period {period}.",
                                 "Nothing to do if this is the version that should count; the earlier one stays in the archive."),
    # setup
    "setup-duplicate-key": IssueType(CELL, E, "{field} {value!r} appears twice on {sheet} (first in {first}).", "Give every row its own {field}."),
    "setup-unknown-reference": IssueType(CELL, E, "{field} {value!r} is not defined on the {target} sheet.", "Use one of: {choices}; or add it to the {target} sheet."),
    "setup-period-overlap": IssueType(CELL, E, "Reporting period {value} overlaps period {other}.", "Let period {value} start after period {other} ends."),
    "setup-end-before-start": IssueType(CELL, E, "{field} {value} is before the start {start}.", "Make the end date later than the start date."),
    "setup-date-outside-project": IssueType(CELL, E, "{field} {value} is outside the project ({low} to {high}).", "Enter a date within the project, or change the project dates on the Project sheet."),
    "setup-weight-not-positive": IssueType(CELL, E, "Criterion {key!r} has weight {value}; scored criteria need a weight above 0.", "Give it a positive weight, or make it a must-have or knock-out."),
    "setup-scale": IssueType(CELL, E, "Criterion {key!r} has the scale {low} to {high}.", "Give scored criteria a scale whose minimum is below its maximum."),
    "setup-budget-total": IssueType(SHEET, W, "The partner budgets add up to {value}, the project budget is {total}.", "Check the budget columns on the Partners sheet and the budget on the Project sheet."),
    "setup-erdf-total": IssueType(SHEET, E, "The ERDF is {value}, but the ERDF partners' budgets times their co-financing rates add up to {expected}.",
                                  "Correct ERDF on the Project sheet, or the Funding source, Co-financing rate % or budget columns on the Partners sheet."),
    "setup-lead-partner": IssueType(SHEET, E, "There are {value} lead partners; a project has exactly one.", "Set Role to 'Lead partner' for exactly one partner."),
    "setup-no-rates": IssueType(CELL, E, "Partner {partner} declares in {value}, but the Rates sheet has no {value} rate.",
                                "Add the Commission's monthly {value} rates (InforEuro) to the Rates sheet, or set the partner's currency to EUR."),
    "setup-column-added": IssueType(CELL, W, "The column {field} is not on sheet {sheet} (a master made by an earlier version): every row takes {value!r}.",
                                    "Add a column headed {field!r} to set it row by row; `nc-excel init --blank NEWDIR` writes a setup with every column to compare with."),
    "setup-empty": IssueType(SHEET, E, "The {sheet} sheet has no rows.", "Add at least one row to {sheet}."),
    # rules across fields and returns
    "completed-below-100": IssueType(CELL, E, "Work package {value} is Done but only {percent} % complete.", "Set % complete to 100, or choose the status In progress."),
    "done-without-date": IssueType(CELL, E, "Deliverable {value} is Done but has no date.", "Enter the date it was delivered."),
    "indicator-decreased": IssueType(CELL, E, "Indicator {value}: the cumulative {cumulative} is below the {previous} reported in period(s) {periods}.", "Report only what was achieved in this period; correct the figure if an earlier one was wrong and tell the coordinator."),
    "reported-before-differs": IssueType(
        CELL, W, "Indicator {value}: Reported before shows {shown}, but {basis}.",
        "The master counts {known}. Do not type over this locked cell; a workbook made before a late report of an earlier period shows an old figure: ask the coordinator for a new one.",
    ),
    "deliverable-reopened": IssueType(
        CELL, W, "{value} was reported Done in period {done_period}{done_on} and is now {status} in period {period}.",
        "Nothing to change if it was reopened: say why in Comment. Otherwise set the status back to Done with its date.",
    ),
    "negative-amount": IssueType(CELL, E, "{field} for {value} is negative ({amount}).", "Declare the costs paid in this period; corrections go in a comment to the coordinator."),
    "over-budget": IssueType(CELL, W, "{value}: the cumulative {cumulative} is {share} % of the budget {budget}.", "Check the amount; spending above the budget needs the coordinator's agreement."),
    "over-budget-limit": IssueType(CELL, E, "{value}: the cumulative {cumulative} is {share} % of the budget {budget}, above the limit of {limit} %.", "Correct the amount, or ask the coordinator for a budget change before declaring it."),
    "flat-rate-mismatch": IssueType(CELL, E, "Office and administration is {value}, but {rate} % of staff costs {staff} is {expected}.", "Do not type over the computed cell; send the workbook with its formula intact."),
    "certified-above-declared": IssueType(CELL, E, "The certified amount {value} is above the {declared} declared this period.", "Enter the amount on the FLC certificate; it cannot exceed what you declared."),
    "certified-without-amount": IssueType(CELL, E, "FLC status is Certified but no certified amount is given.", "Enter the amount on the FLC certificate."),
    "control-before-submission": IssueType(CELL, E, "The FLC certificate date {value} is before the report was submitted ({submitted}).", "Check both dates."),
    # FLC certificates, against the return they certify
    "certificate-without-return": IssueType(FILE, E, "This FLC certificate is for partner {partner}, period {period}, but no accepted report of that period has been received.", "Send the report of period {period} first; the certificate can follow once it is accepted."),
    "certificate-declared-changed": IssueType(CELL, E, "{value}: the certificate shows {declared} declared, but the current accepted report declares {current} (a corrected report arrived after this certificate template was made).", "Have the corrected report certified: the feedback workbook shows its amounts (or ask the coordinator for a new FLC certificate template)."),
    "deduction-without-reason": IssueType(CELL, E, "{value}: {deducted} was deducted without a reason.", "Give the controller's reason for the deduction, as the certificate states it."),
    "knock-out-yes": IssueType(CELL, W, "Living lab {value!r}: '{criterion}' is answered Yes, which excludes the place.", "Nothing to do if that is right; otherwise correct the answer."),
    "must-have-no": IssueType(CELL, W, "Living lab {value!r}: '{criterion}' is answered No, so the place does not qualify.", "Nothing to do if that is right; otherwise correct the answer."),
    "duplicate-candidate": IssueType(ROW, W, "Living lab {value!r} in {municipality} is proposed more than once in this report.", "Keep one row per place; merge the descriptions."),
    "place-proposed-before": IssueType(ROW, W, "Living lab {value!r} in {municipality} was proposed by {others} before you.",
                                       "Nothing to change if you both back it: the shortlist counts the place once, with every proposer. "
                                       "Otherwise agree with {others} which of your rows to keep."),
}


class Issue(BaseModel):
    """One problem, where it is and how to fix it."""

    code: str
    severity: Severity
    partner: str | None = None
    period: int | None = None
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    field: str | None = None
    value: str | None = None
    message: str
    hint: str
    locator: tuple[str, str, str] | None = Field(default=None, exclude=True)
    """(table or form, row key, field name): where the issue sits in a fresh workbook of
    the same partner, for the feedback workbook; not part of the public record."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def level(self) -> Level:
        """The level of its code (file, sheet, row, cell): derived from the code, so the two never disagree; written out with the issue for scripts that group by it."""
        return CATALOGUE[self.code].level

    @property
    def where(self) -> str:
        parts = [p for p in (self.file, self.sheet, self.cell) if p]
        return "!".join(parts[-2:]) if self.sheet and self.cell else ", ".join(parts)


def issue(
    code: str,
    *,
    field: str | None = None,
    value: Any = None,
    sheet: str | None = None,
    cell: str | None = None,
    file: str | None = None,
    partner: str | None = None,
    period: int | None = None,
    locator: tuple[str, str, str] | None = None,
    **params: Any,
) -> Issue:
    """Build an issue from the catalogue; ``params`` fill the message and hint templates.

    Raises ``ValueError`` (a programming error, never a partner's) when the issue
    does not name what its code's level needs: a sheet for sheet and row codes, a
    sheet and a cell for cell codes.
    """
    kind = CATALOGUE[code]
    needs = {Level.SHEET: ("sheet",), Level.ROW: ("sheet",), Level.CELL: ("sheet", "cell")}.get(kind.level, ())
    missing = [name for name, given in (("sheet", sheet), ("cell", cell)) if name in needs and not given]
    if missing:
        raise ValueError(f"issue {code!r} is a {kind.level}-level code and needs {' and '.join(needs)}; {' and '.join(missing)} not given")
    fill = {"field": field or "", "value": value, "sheet": sheet or "", "cell": cell or "", "file": file or "", "partner": partner or "", "period": "" if period is None else period, **params}
    return Issue(
        code=code,
        severity=kind.severity,
        partner=partner,
        period=period,
        file=file,
        sheet=sheet,
        cell=cell,
        field=field,
        value=None if value is None else str(value),
        message=_sentence(kind.message.format(**fill)),
        hint=_sentence(kind.hint.format(**fill)),
        locator=locator,
    )


def _sentence(text: str) -> str:
    """A filled-in template ends with one full stop, even when a value ends with one ("Fill in No.")."""
    return text[:-1] if text.endswith("..") else text


def errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity is Severity.ERROR]
