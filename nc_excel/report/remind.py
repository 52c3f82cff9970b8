"""Reminder e-mail drafts: one .eml per partner who needs chasing for a period. Nothing is sent.

Who needs chasing comes from the returns register (the order of receipt, never a
file's time): a partner whose latest return for the period was *rejected* gets its
feedback workbook back; a partner with no return at all gets its template again,
as *late* once the partner deadline has passed, else as a friendly reminder that it
is *due*. A partner whose latest return was accepted gets nothing.

Each draft is a standard MIME message (Python's ``email`` package) that Outlook,
Thunderbird and Apple Mail open; ``X-Unsent: 1`` makes Outlook open it as a draft
ready to send. Drafts of an earlier run for partners no longer to chase are removed,
so the folder always holds exactly who to write to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from nc_excel.atomic import replacing
from nc_excel.folder import ProjectFolder
from nc_excel.intake.archive import Entry, Register
from nc_excel.partner.schema import RETURN, template_name
from nc_excel.setup.models import Partner, Period, ProjectSetup

REJECTED = "rejected"
LATE = "late"
DUE = "due"
GRACE = dt.timedelta(days=7)
"""How long a partner is given to send a late or corrected report, counted from the day the reminder is drafted."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Draft:
    """One reminder written: to whom, why, with what attached."""

    partner: str
    name: str
    to: str | None  # None: the Partners sheet has no contact e-mail
    state: str  # REJECTED, LATE or DUE
    reason: str
    attachment: Path | None  # None: the file to attach does not exist (the summary says which)
    missing_attachment: str | None
    path: Path


@dataclass(frozen=True)
class RemindResult:
    period: int
    folder: Path
    drafts: list[Draft]
    removed: list[Path]  # drafts of an earlier run for partners no longer to chase


def standing(register: Register, partner: str, period: int) -> Entry | None:
    """The partner's latest accepted or rejected return for the period (None: nothing received)."""
    mine = [e for e in register.entries if e.kind == RETURN and e.partner == partner and e.period == period and e.status in ("accepted", "accepted with warnings", REJECTED)]
    return max(mine, key=lambda e: e.seq) if mine else None


def draft_name(setup: ProjectSetup, period: int, partner: str) -> str:
    return f"{setup.project.acronym}_P{period}_{partner}_reminder.eml"


def _body(setup: ProjectSetup, p: Partner, per: Period, state: str, latest: Entry | None, by: dt.date, attached: str | None) -> tuple[str, str, str]:
    """(subject, reason, body) of one reminder."""
    project = setup.project
    what = f"the {project.acronym} partner report for period {per.number} ({per.start:%d %B %Y} to {per.end:%d %B %Y})"
    if state == REJECTED and latest is not None:
        errors = f"{latest.errors} error{'s' if latest.errors != 1 else ''}"
        reason = f"return {Path(latest.file).name} rejected with {errors}"
        subject = f"{project.acronym} period {per.number} report: please correct and send it again"
        ask = (f"Thank you for sending {what}. Unfortunately we could not accept the file {Path(latest.file).name}, received on "
               f"{latest.received:%d %B %Y}: it has {errors}.\n\n"
               + ("The attached feedback workbook lists each problem and marks it in red at its cell. Please correct the marked cells in that "
                  "workbook, save it and send it back to us" if attached else "Please correct it and send it back to us")
               + f" by {by:%d %B %Y}.")
    elif state == LATE:
        reason = f"no report received; it was due on {per.partner_deadline:%d %B %Y}"
        subject = f"{project.acronym} period {per.number} report: not received yet"
        ask = (f"We have not yet received {what}, which was due on {per.partner_deadline:%d %B %Y}. "
               + ("Your reporting workbook is attached again. " if attached else "")
               + f"Could you please fill it in and send it to us by {by:%d %B %Y}? If you have already sent it, please send it once more, "
               "as it has not reached us.")
    else:
        reason = f"no report received yet; due by {per.partner_deadline:%d %B %Y}"
        subject = f"{project.acronym} period {per.number} report: due by {per.partner_deadline:%d %B %Y}"
        ask = (f"This is a friendly reminder that {what} is due by {per.partner_deadline:%d %B %Y}. "
               + ("Your reporting workbook is attached. " if attached else "")
               + "Please fill it in and send it to us by then.")
    greeting = f"Dear {p.contact}," if p.contact else "Dear colleagues,"
    body = (f"{greeting}\n\n{ask}\n\nIf anything is unclear, just reply to this e-mail; we are happy to help.\n\n"
            f"Kind regards,\n{project.coordinator}\n{project.name} ({project.programme})\n{project.coordinator_email}\n")
    return subject, reason, body


def _message(setup: ProjectSetup, p: Partner, subject: str, body: str, today: dt.date, attachment: Path | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((setup.project.coordinator, setup.project.coordinator_email))
    if p.email:
        msg["To"] = formataddr((p.contact or p.name, p.email))
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.combine(today, dt.time(9, 0)).astimezone())
    msg["X-Unsent"] = "1"  # Outlook opens the file as a draft to send
    msg.set_content(body)
    if attachment is not None:
        kind = XLSX if attachment.suffix == ".xlsx" else (mimetypes.guess_type(attachment.name)[0] or "application/octet-stream")
        maintype, subtype = kind.split("/", 1)
        data = attachment.read_bytes()
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment.name)
        msg.set_boundary(f"nc-{hashlib.sha256(body.encode() + data).hexdigest()[:32]}")  # the same draft for the same inputs
    return msg


def write_reminders(root: Path, setup: ProjectSetup, period: int, register: Register, *, today: dt.date) -> RemindResult:
    """Write ``outbox/mail/<period>/<ACRONYM>_P<period>_<partner>_reminder.eml`` for every partner to chase; see the module text."""
    folder = ProjectFolder(root)
    out = folder.mail(period)
    per = setup.period(period)
    drafts: list[Draft] = []
    for p in setup.partners:
        latest = standing(register, p.code, period)
        if latest is not None and latest.accepted:
            continue
        state = REJECTED if latest is not None else LATE if today > per.partner_deadline else DUE
        if state == REJECTED:
            wanted = folder.resolve(latest.feedback) if latest is not None and latest.feedback else None
            lacking = None if wanted is not None and wanted.is_file() else "the feedback workbook of the rejected return is not in feedback/"
        else:
            wanted = folder.outbox(period) / template_name(setup, period, p.code)
            lacking = None if wanted.is_file() else f"no template {wanted.name} in {folder.record(wanted.parent)}: write it with `{folder.command(f'templates --period {period} --partner {p.code}')}`"
        attachment = wanted if lacking is None else None
        by = max(today + GRACE, per.partner_deadline)
        subject, reason, body = _body(setup, p, per, state, latest, by, attachment.name if attachment else None)
        path = out / draft_name(setup, period, p.code)
        with replacing(path) as tmp:
            tmp.write_bytes(_message(setup, p, subject, body, today, attachment).as_bytes(policy=policy.SMTP))
        drafts.append(Draft(p.code, p.name, p.email, state, reason, attachment, lacking, path))
    keep = {d.path for d in drafts}
    removed = [old for old in sorted(out.glob("*_reminder.eml")) if old not in keep] if out.is_dir() else []
    for old in removed:
        old.unlink()
    return RemindResult(period, out, drafts, removed)
