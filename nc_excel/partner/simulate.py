"""Partners, simulated: fill generated templates the way partners do, for the demo and the tests.

``partner_entries`` makes plausible, seeded answers for one partner and period;
``fill_workbook`` types them into the input cells of a generated template (found
through its metadata layout), editing only those cells (``excel.edit``), and saves
the result as a return; ``rename_sheet`` renames a sheet of a workbook loaded with
openpyxl the way Excel does when a partner renames a tab.
Nothing here builds a master or a return directly: the values go through the
same workbook a partner would send.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import zipfile
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nc_excel.excel.edit import Book
from nc_excel.excel.schema import columns
from nc_excel.partner.schema import (
    ALL_TABLES,
    FLC_FORM,
    META_SHEET,
    SUBMISSION_FORM,
    Entries,
    criterion_field,
    table_model,
)
from nc_excel.setup.currency import rates_of
from nc_excel.setup.models import COST_CATEGORIES, ProjectSetup

if TYPE_CHECKING:
    import openpyxl

# rename_sheet imports openpyxl when it runs: filling in a workbook does not need it, and the
# demo's workers, which fill in, start without it.

# Candidate places per region: (name, municipality, theme, lead organisation)
PLACES: dict[str, list[tuple[str, str, str, str]]] = {
    "NJ": [("Aalborg East Energy District", "Aalborg", "Energy", "Aalborg Forsyning"), ("Port of Aalborg Green Hub", "Aalborg", "Circular economy", "Port of Aalborg"),
           ("Frederikshavn Energy City", "Frederikshavn", "Energy", "Frederikshavn Forsyning"), ("Hirtshals Fish Waste Loop", "Hjørring", "Circular economy", "Hirtshals Havn"),
           ("Thisted Biogas Cluster", "Thisted", "Energy", "Thisted Varmeforsyning")],
    "MJ": [("Aarhus Harbour Smart Grid", "Aarhus", "Energy", "Aarhus Havn"), ("Lisbjerg Resource Park", "Aarhus", "Circular economy", "AffaldVarme Aarhus"),
           ("Herning Textile Recycling", "Herning", "Circular economy", "Herning Kommune"), ("Silkeborg Water Lab", "Silkeborg", "Water and climate", "Silkeborg Forsyning"),
           ("Skive GreenLab", "Skive", "Energy", "GreenLab Skive")],
    "SD": [("Syd Energi Esbjerg", "Esbjerg", "Energy", "Syd Energi"), ("Esbjerg Offshore Port", "Esbjerg", "Energy", "Port Esbjerg"),
           ("Sønderborg ProjectZero Homes", "Sønderborg", "Buildings", "ProjectZero"), ("Odense Robot Mobility", "Odense", "Mobility", "Odense Robotics"),
           ("Kolding Design Circularity", "Kolding", "Circular economy", "Kolding Kommune")],
    "HS": [("Nordhavn EnergyLab", "København", "Energy", "By & Havn"), ("Copenhagen Cleantech Park", "Frederikssund", "Circular economy", "CLEAN"),
           ("Lyngby Smart Campus", "Lyngby-Taarbæk", "Digital", "Lyngby-Taarbæk Kommune"), ("Albertslund Street Lab", "Albertslund", "Digital", "Gate 21")],
    "HH": [("Smart Port Hamburg", "Hamburg", "Digital", "Hamburg Port Authority"), ("Wilhelmsburg Energy Bunker", "Hamburg", "Energy", "Hamburg Energie"),
           ("Bergedorf Energy Campus", "Hamburg", "Energy", "HAW Hamburg"), ("HafenCity Mobility Hub", "Hamburg", "Mobility", "HOCHBAHN"),
           ("Altona Heat Network", "Hamburg", "Buildings", "Wärme Hamburg")],
    "SH": [("Kiel Port Shore Power", "Kiel", "Energy", "Port of Kiel"), ("Heide Hydrogen Region", "Heide", "Energy", "Region Heide"),
           ("Flensburg Fjord Wind", "Flensburg", "Energy", "Stadtwerke Flensburg"), ("Lübeck Circular Harbour", "Lübeck", "Circular economy", "Lübecker Hafen")],
    "VG": [("Fossil-free preschool Hoppet", "Göteborg", "Buildings", "Framtiden"), ("Lindholmen Electric Bus Route", "Göteborg", "Mobility", "Volvo Buses"),
           ("Trollhättan Innovatum Science Park", "Trollhättan", "Digital", "Innovatum"), ("Riversides Energy Kvarter", "Göteborg", "Energy", "Göteborg Energi"),
           ("Borås Textile Loop", "Borås", "Circular economy", "Science Park Borås")],
    "SK": [("Hyllie Climate Contract", "Malmö", "Energy", "E.ON Sverige"), ("Helsingborg H+ District", "Helsingborg", "Buildings", "Helsingborgs stad"),
           ("Lund Brunnshög", "Lund", "Buildings", "Lunds kommun"), ("Sege Park Living Lab", "Malmö", "Circular economy", "Malmö stad")],
    "OS": [("Økernbyen Oslo", "Oslo", "Buildings", "Oslo kommune"), ("Oslo Port Electric Ferries", "Oslo", "Mobility", "Ruter"),
           ("Furuset Low-Carbon Suburb", "Oslo", "Buildings", "Oslo kommune"), ("Klemetsrud Carbon Capture", "Oslo", "Energy", "Fortum Oslo Varme"),
           ("Fornebu Smart Grid", "Bærum", "Energy", "OREEC")],
    "GR": [("EnTranCe Energy Transition Centre", "Groningen", "Energy", "Hanze"), ("Eemshaven Hydrogen Valley", "Het Hogeland", "Energy", "Groningen Seaports"),
           ("Zernike Campus Heat", "Groningen", "Buildings", "Energy Valley"), ("Delfzijl Chemie Park Loop", "Eemsdelta", "Circular economy", "Chemie Park Delfzijl")],
    "NH": [("Alkmaar Energy Neighbourhood", "Alkmaar", "Energy", "Gemeente Alkmaar"), ("Den Helder Offshore Hub", "Den Helder", "Energy", "Port of Den Helder"),
           ("Amsterdam Schoonschip", "Amsterdam", "Water and climate", "Schoonschip"), ("Zaandam Circular Food", "Zaanstad", "Circular economy", "Gemeente Zaanstad")],
    "VL": [("Kortrijk Smart Textile", "Kortrijk", "Circular economy", "Leiedal"), ("Ghent Port North Sea Port", "Gent", "Energy", "North Sea Port"),
           ("Antwerp Blue Gate", "Antwerpen", "Circular economy", "Blue Gate Antwerp"), ("Genk Thor Park", "Genk", "Energy", "EnergyVille"),
           ("Leuven Climate Neighbourhood", "Leuven", "Buildings", "Leuven 2030")],
    "SC": [("Grangemouth Energy Park", "Falkirk", "Energy", "Falkirk Council"), ("Aberdeen Hydrogen Buses", "Aberdeen", "Mobility", "Aberdeen City Council"),
           ("Glasgow Smart Street", "Glasgow", "Digital", "Glasgow City Council"), ("Orkney Surf 'n' Turf", "Orkney", "Energy", "Community Energy Scotland"),
           ("Dundee Waterfront EV Hub", "Dundee", "Mobility", "Dundee City Council")],
}

# Further sites a partner proposes of its own: (name, theme)
SITE_KINDS = [
    ("Harbour Energy Lab", "Energy"), ("Smart District", "Digital"), ("Green Business Park", "Circular economy"),
    ("Mobility Hub", "Mobility"), ("Climate Street", "Water and climate"), ("Zero-Energy School", "Buildings"),
    ("Heat Recovery Pilot", "Energy"), ("Food Waste Loop", "Circular economy"), ("Data Commons", "Digital"),
]


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _rate(setup: ProjectSetup, currency: str, day: dt.date) -> Decimal:
    """Units of ``currency`` per euro around ``day``: the month's rate of the Rates sheet, else the latest before it, else 1 (the euro)."""
    known = [r.rate for r in rates_of(setup.rates, currency) if r.month <= day]
    return known[-1] if known else Decimal(1)


def partner_entries(setup: ProjectSetup, partner_code: str, period: int, *, seed: int = 2017, as_of: dt.date | None = None) -> Entries:
    """Plausible answers of one partner for one period, the same for the same seed.

    From period 2 on, a partner goes on where it left off, as real partners do: a
    deliverable it reported Done stays Done with the same date, and it proposes the
    same living-lab places as in its first report (with more companies on board).
    Anything else across periods (a slipping deliverable, a dropped place) is an event
    the caller scripts.
    """
    entries = _fresh_entries(setup, partner_code, period, seed=seed, as_of=as_of)
    if period > 1 and any(p.number == period - 1 for p in setup.periods):
        earlier = partner_entries(setup, partner_code, period - 1, seed=seed)
        done = {d["code"]: d for d in earlier.tables["Deliverables"] if d["status"] == "Done"}
        entries.tables["Deliverables"] = [done.get(d["code"], d) for d in entries.tables["Deliverables"]]
        grown = random.Random(f"{seed}-{partner_code}-{period}-labs")
        if "LivingLabs" in earlier.tables:
            entries.tables["LivingLabs"] = [{**lab, "companies": lab["companies"] + grown.randint(0, 6)} for lab in earlier.tables["LivingLabs"]]
    return entries


def _fresh_entries(setup: ProjectSetup, partner_code: str, period: int, *, seed: int, as_of: dt.date | None) -> Entries:
    """One period's answers drawn on their own, without regard to earlier periods."""
    rng = random.Random(f"{seed}-{partner_code}-{period}")
    partner = setup.partner(partner_code)
    per = setup.period(period)
    as_of = as_of or per.end
    progress = []
    for wp in (w for w in setup.work_packages if partner_code in w.partners):
        span = max((wp.end - wp.start).days, 1)
        expected = max(0, min(100, round(100 * (as_of - wp.start).days / span)))
        delayed = rng.random() < 0.06  # now and then a partner falls behind on a work package
        pct = max(0, min(100, expected - rng.randint(15, 25) if delayed else expected + rng.randint(-5, 8)))
        status = "Not started" if pct == 0 else ("Done" if pct == 100 else ("Delayed" if delayed else "In progress"))
        progress.append({
            "work_package": wp.code, "status": status, "percent_complete": pct,
            "achievements": f"{partner.short_name} contributed to {wp.title.lower()}: meetings held, material prepared and shared with the partnership.",
            "problems": "Staff change delayed the start." if status == "Delayed" else None,
            "next_period": "Continue the planned activities and prepare the next deliverables.",
        })
    deliverables = []
    for d in (d for d in setup.deliverables if any(d.work_package == w["work_package"] for w in progress)):
        if d.due < as_of:
            done = rng.random() < 0.8
            status, date = ("Done", d.due - dt.timedelta(days=rng.randint(0, 20))) if done else ("Delayed", d.due + dt.timedelta(days=rng.randint(30, 90)))
        elif (d.due - as_of).days < 120:
            status, date = "In progress", d.due
        else:
            status, date = "Not started", None
        deliverables.append({"code": d.code, "status": status, "date": date, "comment": None})
    indicators = [
        {"code": i.code, "achieved": Decimal(rng.randint(0, max(1, int(i.target) // 2)))}
        for i in setup.indicators if partner_code in i.partners
    ]
    share = Decimal(str(rng.uniform(0.10, 0.22)))
    finance = []
    for key, label in COST_CATEGORIES:
        declared = _money(float(partner.budget(key) * share)) if key != "office" else None
        finance.append({"category": label, "declared": declared if declared is not None else Decimal(0)})
    regions = {r.code: r for r in setup.regions}
    region = regions[partner.region]
    places = PLACES.get(region.code, [])
    picks = rng.sample(places, k=min(len(places), rng.randint(2, 3))) if places else []
    towns = sorted({p[1] for p in places}) or [region.name]
    kinds = rng.sample(SITE_KINDS, k=rng.randint(5, 7))
    extra = [(f"{partner.short_name} {kind}", rng.choice(towns), theme, partner.name) for kind, theme in kinds]
    labs = []
    for name, municipality, theme, lead in picks + extra:
        row: dict[str, Any] = {
            "name": name, "municipality": municipality, "region": region.name, "theme": theme,
            "description": f"{name}: companies and public bodies test new solutions together in a real setting.",
            "lead_organisation": lead, "companies": rng.randint(2, 40), "contact": partner.contact,
        }
        for c in setup.criteria:
            if c.kind == "score":
                row[criterion_field(c.key)] = rng.randint(c.scale_min or 1, c.scale_max or 5)
            elif c.kind == "must-have":
                row[criterion_field(c.key)] = rng.random() < 0.98
            else:
                row[criterion_field(c.key)] = rng.random() < 0.015
        labs.append(row)
    submitted = min(per.partner_deadline, as_of) - dt.timedelta(days=rng.randint(0, 5))
    rate = _rate(setup, partner.currency, submitted)  # a share of a euro budget, declared in the partner's own money
    finance = [{**f, "declared": _money(float(f["declared"] * rate))} for f in finance]
    total = sum((f["declared"] for f in finance), Decimal(0))
    flc_done = rng.random() < 0.5
    return Entries(
        tables={"Progress": progress, "Deliverables": deliverables, "Indicators": indicators, "Finance": finance,
                **({"LivingLabs": labs} if setup.project.living_labs else {})},
        forms={
            SUBMISSION_FORM: {"contact_name": partner.contact or partner.short_name, "contact_email": partner.email or "nc@example.eu",
                              "phone": "+45 00 00 00 00", "submitted_on": submitted, "confirm": True},
            FLC_FORM: {"controller": f"FLC for {partner.short_name}", "sent_to_flc": submitted,
                       "flc_status": "Certified" if flc_done else "In control",
                       "certified": total if flc_done else None,
                       "certificate_date": submitted + dt.timedelta(days=rng.randint(3, 12)) if flc_done else None},
        },
    )


def fill_workbook(template: Path, out: Path, entries: Entries, setup: ProjectSetup, *, overrides: Mapping[tuple[str, str], Any] | None = None) -> Path:
    """Type ``entries`` into the input cells of ``template`` and save as ``out``.

    A free-row table given in ``entries`` (the living-lab candidates) is the partner's
    whole list: rows the template carried over below it are emptied, as a partner
    clears the row of a place it drops.

    ``overrides`` types raw values at (sheet, cell) afterwards: how the tests and the
    demo make the mistakes partners make (``"1.234,56"`` as text, a text date, ...).
    """
    book = Book(template)
    layout = json.loads(meta_of(book)["layout"])
    for spec in ALL_TABLES:
        if spec.name not in layout["tables"]:
            continue  # a workbook has the selected living labs or the candidates, not both
        place = layout["tables"][spec.name]
        sheet, cols = place["sheet"], place["columns"]
        inputs = {c.name for c in columns(table_model(spec, setup)) if c.col.input}
        first = place["header_row"] + 2
        rows = entries.tables.get(spec.name, [])
        if spec.key is None:
            targets = list(enumerate(rows))
            if spec.name in entries.tables:  # the list is the one given: rows a template carried over below it are emptied
                last = int("".join(ch for ch in place["ref"].split(":")[1] if ch.isdigit()))
                for r in range(first + len(rows), last + 1):
                    for letter in (cols[name] for name in inputs if name in cols):
                        book.type_in(sheet, f"{letter}{r}", None)
        else:
            keys = [book.value(sheet, f"{cols[spec.key]}{first + i}") for i in range(200)]
            row_of = {str(key): i for i, key in enumerate(keys) if key is not None}
            targets = [(row_of[str(r[spec.key])], r) for r in rows if str(r.get(spec.key)) in row_of]
        for index, values in targets:
            for name, value in values.items():
                if name in inputs and value is not None and name in cols:
                    ref = f"{cols[name]}{first + index}"
                    typed = book.value(sheet, ref)
                    if not isinstance(typed, str) or not typed.startswith("="):  # never type over a formula
                        book.type_in(sheet, ref, value)
    for name, form in layout["forms"].items():
        for field_name, value in entries.forms.get(name, {}).items():
            if value is not None and field_name in form["cells"]:
                book.type_in(form["sheet"], form["cells"][field_name], value)
    for (sheet, ref), value in (overrides or {}).items():
        book.type_in(sheet, ref, value)
    return book.save(out, SAVED_AT)


def meta_of(book: Book) -> dict[Any, Any]:
    """The metadata sheet of a workbook being filled in: key -> value, as intake reads it."""
    meta, row = {}, 1
    while (key := book.value(META_SHEET, f"A{row}")) is not None:
        meta[key] = book.value(META_SHEET, f"B{row}")
        row += 1
    return meta


def rename_sheet(wb: openpyxl.Workbook, old: str, new: str) -> None:
    """Rename sheet ``old`` to ``new`` as Excel does when a partner renames its tab.

    openpyxl only changes the title, so every formula that named the old sheet
    would be left pointing at a sheet that no longer exists: LibreOffice shows
    #NAME? (e.g. the Start sheet's count of missing inputs) and Excel offers to
    repair the file. A partner's renamed sheet never looks like that, so the
    simulation must not either. Excel rewrites every reference to the sheet, and so
    does this: cell formulas (array formulas too) on all sheets, defined names
    (workbook and sheet scope), data-validation and conditional-format formulas
    and table column formulas; openpyxl writes print titles, print areas and
    filters from the sheet's current title by itself. A reference is rewritten in
    any form (``'Progress'!A1``, ``progress!A1``, ``Start:Progress!A1``) and the
    new name is quoted only when it needs quotes, as Excel writes it. Left alone,
    as Excel leaves them: text in formulas (``INDIRECT("Progress!A1")``), table
    names (``Progress[Status]``), references into other workbooks, hyperlinks, and
    cell text such as the metadata sheet's layout, so intake sees what it would see
    of a sheet renamed in Excel. Cached values need no care: openpyxl saves
    formulas without them and the file asks to be recalculated when opened.
    """
    from openpyxl.worksheet.formula import ArrayFormula

    if old == new:
        return
    ws = wb[old]
    if any(s.casefold() == new.casefold() for s in wb.sheetnames if s != old):
        raise ValueError(f"a sheet named {new!r} already exists")
    ws.title = new

    def fix(formula: str) -> str:
        return _renamed_in_formula(formula, old, new)

    def fix_bare(formula: str | None) -> str | None:  # names, validations, formats: stored without "="
        return fix(f"={formula}")[1:] if formula else formula

    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                if isinstance(cell.value, ArrayFormula):
                    cell.value.text = fix(cell.value.text)
                elif isinstance(cell.value, str):
                    cell.value = fix(cell.value)
        for name in sheet.defined_names.values():
            name.attr_text = fix_bare(name.attr_text)
        for dv in sheet.data_validations.dataValidation:
            dv.formula1, dv.formula2 = fix_bare(dv.formula1), fix_bare(dv.formula2)
        for formatting in sheet.conditional_formatting:
            for rule in formatting.rules:
                rule.formula = [fix_bare(f) for f in rule.formula]
                for scale in (rule.colorScale, rule.dataBar, rule.iconSet):
                    for cfvo in scale.cfvo if scale is not None else ():
                        if isinstance(cfvo.val, str):
                            cfvo.val = fix_bare(cfvo.val)
        for table in sheet.tables.values():
            for column in table.tableColumns:
                for formula in (column.calculatedColumnFormula, column.totalsRowFormula):
                    if formula is not None and formula.attr_text:
                        formula.attr_text = fix_bare(formula.attr_text)
    for name in wb.defined_names.values():
        name.attr_text = fix_bare(name.attr_text)


# A sheet prefix at the start of a reference or after its ":" (Progress!A1:Progress!A3):
# an optional [book] (another workbook's sheet), then a quoted or a plain sheet
# name, or two of them for a 3-D reference (Start:Progress!A1), then "!".
_SHEET_PREFIX = re.compile(r"(?:^|(?<=:))(?P<book>\[[^\]]*\])?(?P<sheets>'(?:[^']|'')+'|[^'!\[\]]+)!")
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOOKS_LIKE_A_REFERENCE = re.compile(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*(?:[Cc][0-9]*)?|[Cc][0-9]*|true|false", re.IGNORECASE)


def _sheet_prefix(names: list[str]) -> str:
    """``Fremdrift`` or ``'Living Labs'`` (``Start:Fremdrift`` for a 3-D reference): quoted only when needed."""
    if all(_PLAIN_NAME.fullmatch(n) and not _LOOKS_LIKE_A_REFERENCE.fullmatch(n) for n in names):
        return ":".join(names)
    return "'" + ":".join(names).replace("'", "''") + "'"


def _renamed_in_reference(reference: str, old: str, new: str) -> str:
    """One reference operand with every sheet prefix naming ``old`` (any case) renamed."""

    def rename(m: re.Match[str]) -> str:
        sheets = m.group("sheets")
        quoted = sheets.startswith("'")
        names = (sheets[1:-1].replace("''", "'") if quoted else sheets).split(":")
        if m.group("book") or (quoted and ("[" in sheets or "]" in sheets)):
            return m.group(0)  # a sheet of another workbook
        renamed = [new if n.casefold() == old.casefold() else n for n in names]
        return m.group(0) if renamed == names else _sheet_prefix(renamed) + "!"

    return _SHEET_PREFIX.sub(rename, reference)


def _renamed_in_formula(formula: str, old: str, new: str) -> str:
    """``formula`` with its references to sheet ``old`` renamed; text, spacing and all else kept."""
    from openpyxl.formula.tokenizer import Token, Tokenizer

    folded = formula.casefold()
    if not formula.startswith("=") or not any(n in folded for n in {old.casefold(), old.casefold().replace("'", "''")}):
        return formula
    out, pos = [], 1
    for token in Tokenizer(formula).items:
        if token.type == Token.WSPACE:
            continue  # the tokenizer shortens runs of spaces: copy them from the formula instead
        start = formula.index(token.value, pos)
        if formula[pos:start].strip():
            raise ValueError(f"cannot follow the tokens of {formula!r}")
        value = token.value
        if token.type == Token.OPERAND and token.subtype == Token.RANGE:
            value = _renamed_in_reference(value, old, new)
        out.append(formula[pos:start] + value)
        pos = start + len(token.value)
    return "=" + "".join(out) + formula[pos:]


def save(wb: openpyxl.Workbook, out: Path) -> Path:
    """Save a simulated partner's workbook, byte for byte the same on every run."""
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    out.write_bytes(_fixed_times(buffer.getvalue()))
    return out


SAVED_AT = dt.datetime(2017, 10, 1, 12, 0, 0)
"""When a simulated partner saves: the same time on every run, so the same entries give the same bytes."""


def _fixed_times(xlsx: bytes) -> bytes:
    """The same bytes for the same entries: openpyxl stamps the zip entries and the
    document properties with the time of saving, so a seeded run would still differ."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + f"{SAVED_AT:%Y-%m-%dT%H:%M:%SZ}".encode(), data)
            fixed = zipfile.ZipInfo(info.filename, SAVED_AT.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(fixed, data)
    return out.getvalue()

