"""Delivery by e-mail (smtplib): the documents and manifest.json attached, each evidence bundle
attached as a zip while the total stays under ``dispatch_attachment_limit_bytes``, otherwise
referenced by path and SHA-256 (every file's hash is in the manifest either way).

The Message-ID is derived from the dispatch and the package digest, so a retry after a crash
between sending and recording carries the same Message-ID and the authority's mail system can
tell it is the same letter.
"""

from __future__ import annotations

import io
import re
import smtplib
import ssl
import zipfile
from email.message import EmailMessage
from email.utils import formatdate

from kuzet.dispatch.records import CasePackage, Delivery, DispatchError, PackageBundle
from kuzet.settings import Settings

MEDIA_TYPES = {
    "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": ("application", "pdf"),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def valid_address(address: str) -> bool:
    return bool(_ADDRESS.match(address))


def _header_text(text: str, limit: int = 200) -> str:
    # Titles come from crawled pages: no line breaks (header injection), bounded length.
    return _CONTROL.sub(" ", text).strip()[:limit]


def message_id(pkg: CasePackage, dispatch_id: int, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "kuzet.invalid"
    return f"<kuzet-case-{pkg.case_id}-d{dispatch_id}-{pkg.manifest_sha256[:16]}@{domain}>"


def _zip_bundle(bundle: PackageBundle) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in bundle.files:
            # Names inside the zip are relative to the bundle folder, as sealed.
            zf.write(f.source, arcname=f.name.split("/", 2)[-1])
    return buf.getvalue()


def _body(pkg: CasePackage, attached: set[int]) -> str:
    case = pkg.manifest["case"]
    lines = [
        f"Дело / Іс: KZT-{pkg.case_id:06d} ({case['route']})",
        f"{_header_text(case['title'], 500)}",
        "",
        f"Правовое основание / Құқықтық негіз: {case['legal_basis'] or '-'}",
        "",
        "Ресурсы / Ресурстар:",
        *(f"  {u}" for u in pkg.manifest["urls"]),
        "",
        "Документы (вложения) / Құжаттар (тіркемелер), SHA-256:",
        *(f"  {d.name.split('/', 1)[-1]}  {d.sha256}" for d in pkg.documents),
        "",
        "Доказательства / Дәлелдемелер (manifest.json SHA-256):",
    ]
    for b in pkg.bundles:
        where = f"вложение evidence-bundle-{b.bundle_id}.zip" if b.bundle_id in attached else f"хранится: {b.path}"
        lines.append(f"  bundle {b.bundle_id}: {b.url}  manifest {b.manifest_sha256}  ({where})")
    lines += [
        "",
        f"Все файлы и их SHA-256 перечислены в manifest.json (SHA-256 {pkg.manifest_sha256}).",
        "Проверка доказательств: docs/evidence-format.md проекта kuzet.",
    ]
    return "\n".join(lines) + "\n"


def build_message(pkg: CasePackage, settings: Settings, to_addr: str, dispatch_id: int) -> EmailMessage:
    sender = settings.mail_from
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to_addr
    msg["Subject"] = _header_text(f"[kuzet] KZT-{pkg.case_id:06d}: {pkg.title}")
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(pkg, dispatch_id, sender)
    msg["X-Kuzet-Case"] = str(pkg.case_id)
    msg["X-Kuzet-Manifest-SHA256"] = pkg.manifest_sha256
    budget = settings.dispatch_attachment_limit_bytes
    attached: set[int] = set()
    for b in pkg.bundles:
        if b.size <= budget:
            attached.add(b.bundle_id)
            budget -= b.size
    msg.set_content(_body(pkg, attached))
    for d in pkg.documents:
        maintype, subtype = MEDIA_TYPES.get(d.fmt, ("application", "octet-stream"))
        msg.add_attachment(d.source.read_bytes(), maintype=maintype, subtype=subtype, filename=d.name.split("/", 1)[-1])
    msg.add_attachment(pkg.manifest_bytes, maintype="application", subtype="json", filename="manifest.json")
    for b in pkg.bundles:
        if b.bundle_id in attached:
            msg.add_attachment(
                _zip_bundle(b), maintype="application", subtype="zip", filename=f"evidence-bundle-{b.bundle_id}.zip"
            )
    return msg


def _classify(e: Exception, target: str) -> DispatchError:
    """Transient (retry later): connection refused or dropped, timeouts, 4xx replies.
    Permanent: 5xx replies (recipient refused, authentication failed), TLS and setup errors."""
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in e.recipients.values()]
        transient = bool(codes) and all(400 <= c < 500 for c in codes)
        return DispatchError(f"recipient refused: {e.recipients}", retryable=transient, target=target)
    if isinstance(e, smtplib.SMTPResponseException):
        text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
        return DispatchError(f"SMTP {e.smtp_code}: {text[:300]}", retryable=400 <= e.smtp_code < 500, target=target)
    if isinstance(e, smtplib.SMTPNotSupportedError):
        return DispatchError(f"SMTP server does not support it: {e}", retryable=False, target=target)
    if isinstance(e, ssl.SSLError):
        return DispatchError(f"TLS failed: {e}", retryable=False, target=target)
    if isinstance(e, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | OSError):
        return DispatchError(f"SMTP server unreachable: {e}", retryable=True, target=target)
    return DispatchError(f"SMTP error: {e}", retryable=False, target=target)


def send_smtp(pkg: CasePackage, settings: Settings, to_addr: str, dispatch_id: int) -> Delivery:
    """Send the package to ``to_addr``; the reference is the Message-ID."""
    if not settings.smtp_host:
        raise DispatchError("KUZET_SMTP_HOST is not set", retryable=False, target=to_addr)
    if not valid_address(settings.mail_from):
        raise DispatchError("KUZET_MAIL_FROM is not set to an e-mail address", retryable=False, target=to_addr)
    if not valid_address(to_addr):
        raise DispatchError(f"not an e-mail address: {to_addr!r}", retryable=False, target=to_addr)
    if settings.smtp_user and not settings.smtp_starttls and not settings.development:
        raise DispatchError(
            "refusing to send the SMTP password without TLS: set KUZET_SMTP_STARTTLS=1", retryable=False, target=to_addr
        )
    msg = build_message(pkg, settings, to_addr, dispatch_id)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
            smtp.ehlo()
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            refused = smtp.send_message(msg, from_addr=settings.mail_from, to_addrs=[to_addr])
    except Exception as e:  # every smtplib/socket failure is classified, none escapes unrecorded
        raise _classify(e, to_addr) from e
    if refused:
        raise DispatchError(f"recipient refused: {refused}", retryable=False, target=to_addr)
    return Delivery(reference=str(msg["Message-ID"]), detail={"size": len(msg.as_bytes())})
