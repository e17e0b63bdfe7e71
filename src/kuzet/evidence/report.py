"""The inspection report of a sealed bundle: «ПРОТОКОЛ осмотра интернет-ресурса» as a PDF in
Russian and Kazakh, for people who read the evidence rather than verify it by hand.

The report lists the SHA-256 of the sealed files and of the manifest, so it cannot be one of the
manifest's parts. It is a side file written after sealing (``report.<lang>.pdf``), and its own
SHA-256 and size go into a signed ``report_written`` line of ``custody.jsonl`` (with the manifest
hash it describes). ``verify_bundle`` accepts a ``report.*.pdf`` only when the latest such line
names it with the same hash; writing the reports again appends a new line.

HTML is rendered from a Jinja2 template (autoescaped: page titles and text are hostile) and
printed to PDF by the capture service's own Chromium, with JavaScript off and no network.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from kuzet.errors import EvidenceError
from kuzet.evidence.canonical import sha256_file
from kuzet.evidence.custody import CUSTODY_FILE
from kuzet.evidence.report_files import record_reports
from kuzet.evidence.seal import MANIFEST_FILE, PUBLIC_KEY_FILE, SIGNATURE_FILE, TIMESTAMP_FILE
from kuzet.evidence.signing import Signer
from kuzet.evidence.verify import VerifyReport, verify_bundle

LANGS = ("ru", "kk")
LOCAL_TZ = "Asia/Almaty"
EXCERPT_CHARS = 1500
MAX_SHOT_BYTES = 8 * 1024 * 1024  # a bigger viewport image is not embedded (the PDF would balloon)

PAGE_KINDS = {
    "ru": {
        "content": "страница с содержимым",
        "challenge": "проверка защиты от ботов (содержимое не показано)",
        "block_page": "страница блокировки",
        "error": "ошибка загрузки",
    },
    "kk": {
        "content": "мазмұны бар бет",
        "challenge": "боттардан қорғау тексерісі (мазмұны көрсетілмеді)",
        "block_page": "бұғаттау беті",
        "error": "жүктеу қатесі",
    },
}

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "ПРОТОКОЛ осмотра интернет-ресурса",
        "bundle": "Пакет доказательств",
        "case": "Материал",
        "s_resource": "Осматриваемый ресурс",
        "url": "Запрошенный адрес (URL)",
        "final_url": "Итоговый адрес после перенаправлений",
        "server_ip": "IP-адрес сервера",
        "status": "Код ответа HTTP",
        "redirects": "Цепочка перенаправлений",
        "tls": "Сертификат TLS",
        "none": "нет",
        "s_time": "Время осмотра",
        "start": "Начало",
        "end": "Окончание",
        "local": "время Алматы",
        "s_method": "Способ осмотра",
        "tool": "Программное средство",
        "browser": "Браузер",
        "viewport": "Окно просмотра",
        "dpr": "масштаб пикселей",
        "user_agent": "Идентификатор браузера (User-Agent)",
        "locale": "Язык и региональные настройки",
        "proxy": "Прокси-сервер",
        "no_proxy": "не использовался",
        "resolver": "Переопределение DNS-имён",
        "no_resolver": "не применялось",
        "s_seen": "Результат осмотра",
        "page_kind": "Тип страницы",
        "page_title": "Заголовок страницы",
        "notes": "Замечания",
        "shot_caption": "Снимок видимой области страницы",
        "no_shot": "Снимок видимой области не получен.",
        "excerpt": "Фрагмент видимого текста страницы",
        "excerpt_cut": "сокращён; полный текст в файле",
        "s_files": "Зафиксированные файлы",
        "file": "Файл",
        "size": "Размер, байт",
        "not_taken": "не получен",
        "s_integrity": "Целостность и подпись",
        "manifest_sha": "SHA-256 манифеста (manifest.json)",
        "key_id": "Идентификатор ключа подписи Ed25519",
        "timestamp": "Метка времени RFC 3161",
        "ts_ok": "получена, время",
        "ts_failed": "не получена",
        "ts_none": "не запрашивалась",
        "verified": "Проверка пакета при составлении протокола",
        "verified_ok": "пройдена: все хеши, подпись и журнал хранения совпадают",
        "verified_bad": "НЕ ПРОЙДЕНА",
        "s_howto": "Порядок проверки",
        "howto": (
            "Пакет проверяется без базы данных kuzet: командой «kuzet evidence verify ПАПКА_ПАКЕТА» "
            "либо вручную стандартными программами (sha256sum, openssl) по описанию в документе "
            "docs/evidence-format.md. Настоящий протокол не входит в подписанный манифест: его "
            "SHA-256 записан в подписанной строке «report_written» журнала хранения custody.jsonl."
        ),
        "generated": "Протокол составлен автоматически",
        "view_post": "Страница публикации",
        "telegram": "Канал Telegram и номер публикации",
        "view_preview": "Публикация в ленте канала",
    },
    "kk": {
        "title": "Интернет-ресурсты қарап-тексеру хаттамасы",
        "bundle": "Дәлелдемелер пакеті",
        "case": "Материал",
        "s_resource": "Қарап-тексерілетін ресурс",
        "url": "Сұралған мекенжай (URL)",
        "final_url": "Қайта бағыттаулардан кейінгі соңғы мекенжай",
        "server_ip": "Сервердің IP-мекенжайы",
        "status": "HTTP жауап коды",
        "redirects": "Қайта бағыттаулар тізбегі",
        "tls": "TLS сертификаты",
        "none": "жоқ",
        "s_time": "Қарап-тексеру уақыты",
        "start": "Басталуы",
        "end": "Аяқталуы",
        "local": "Алматы уақыты",
        "s_method": "Қарап-тексеру тәсілі",
        "tool": "Бағдарламалық құрал",
        "browser": "Браузер",
        "viewport": "Қарау терезесі",
        "dpr": "пиксель масштабы",
        "user_agent": "Браузер идентификаторы (User-Agent)",
        "locale": "Тіл және өңірлік баптаулар",
        "proxy": "Прокси-сервер",
        "no_proxy": "пайдаланылған жоқ",
        "resolver": "DNS атауларын қайта анықтау",
        "no_resolver": "қолданылған жоқ",
        "s_seen": "Қарап-тексеру нәтижесі",
        "page_kind": "Бет түрі",
        "page_title": "Бет тақырыбы",
        "notes": "Ескертпелер",
        "shot_caption": "Беттің көрінетін бөлігінің суреті",
        "no_shot": "Көрінетін бөліктің суреті алынған жоқ.",
        "excerpt": "Беттегі көрінетін мәтіннің үзіндісі",
        "excerpt_cut": "қысқартылған; толық мәтін файлда:",
        "s_files": "Тіркелген файлдар",
        "file": "Файл",
        "size": "Өлшемі, байт",
        "not_taken": "алынған жоқ",
        "s_integrity": "Тұтастық және қолтаңба",
        "manifest_sha": "Манифесттің SHA-256 мәні (manifest.json)",
        "key_id": "Ed25519 қолтаңба кілтінің идентификаторы",
        "timestamp": "RFC 3161 уақыт белгісі",
        "ts_ok": "алынды, уақыты",
        "ts_failed": "алынған жоқ",
        "ts_none": "сұралған жоқ",
        "verified": "Хаттаманы жасау кезінде пакетті тексеру",
        "verified_ok": "сәтті өтті: барлық хэштер, қолтаңба және сақтау журналы сәйкес келеді",
        "verified_bad": "ӨТКЕН ЖОҚ",
        "s_howto": "Тексеру тәртібі",
        "howto": (
            "Пакетті kuzet дерекқорынсыз тексеруге болады: «kuzet evidence verify ПАКЕТ_ҚАЛТАСЫ» "
            "командасымен немесе docs/evidence-format.md құжатында сипатталғандай стандартты "
            "бағдарламалармен (sha256sum, openssl) қолмен. Осы хаттама қол қойылған манифестке "
            "кірмейді: оның SHA-256 мәні custody.jsonl сақтау журналының қол қойылған "
            "«report_written» жолында жазылған."
        ),
        "generated": "Хаттама автоматты түрде жасалды",
        "view_post": "Жарияланым беті",
        "telegram": "Telegram арнасы және жарияланым нөмірі",
        "view_preview": "Арна лентасындағы жарияланым",
    },
}

_ENV = Environment(
    loader=PackageLoader("kuzet.evidence", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def report_name(lang: str) -> str:
    return f"report.{lang}.pdf"


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _times(value: str | None) -> tuple[str, str]:
    if not value:
        return "—", "—"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value, "—"
    local = when.astimezone(ZoneInfo(LOCAL_TZ))
    return when.astimezone(UTC).strftime("%d.%m.%Y %H:%M:%S"), local.strftime("%d.%m.%Y %H:%M:%S (UTC%z)")


def _excerpt(root: Path, rel: str | None) -> tuple[str, bool]:
    if not rel or not (root / rel).is_file():
        return "", False
    with open(root / rel, encoding="utf-8", errors="replace") as f:
        raw = f.read(EXCERPT_CHARS * 4)
    lines = [" ".join(ln.split()) for ln in raw.splitlines()]
    text = "\n".join(ln for ln in lines if ln)
    cut = len(text) > EXCERPT_CHARS or (root / rel).stat().st_size > len(raw.encode("utf-8"))
    return text[:EXCERPT_CHARS], cut


def _data_uri(root: Path, rel: str | None) -> str | None:
    if not rel or not (root / rel).is_file() or (root / rel).stat().st_size > MAX_SHOT_BYTES:
        return None
    return "data:image/png;base64," + base64.b64encode((root / rel).read_bytes()).decode("ascii")


def _view(
    root: Path, manifest: dict[str, Any], facts: dict[str, Any], prefix: str, lang: str, label: str
) -> dict[str, Any]:
    paths = {p.get("name"): p.get("path") for p in manifest.get("parts") or [] if p.get("status") == "ok"}
    net = _load_json(root / paths[prefix + "network"]) if paths.get(prefix + "network") else {}
    net_summary = facts.get("network") or {}
    shot = paths.get(prefix + "viewport") or paths.get(prefix + "screenshot")
    excerpt, cut = _excerpt(root, paths.get(prefix + "text"))
    kind = str(facts.get("page_kind") or "")
    return {
        "label": label,
        "url": facts.get("url"),
        "final_url": facts.get("final_url"),
        "server_ip": net_summary.get("server_ip") or net.get("server_ip"),
        "status": net_summary.get("status", net.get("status")),
        "redirects": net_summary.get("redirect_chain") or net.get("redirect_chain") or [],
        "tls": net_summary.get("tls") or net.get("tls"),
        "page_kind": PAGE_KINDS[lang].get(kind, kind),
        "error": facts.get("error"),
        "title": facts.get("title"),
        "notes": facts.get("notes") or [],
        "screenshot": _data_uri(root, shot),
        "screenshot_file": shot,
        "excerpt": excerpt,
        "excerpt_cut": cut,
        "text_file": paths.get(prefix + "text"),
    }


def _timestamp_status(entries: list[dict[str, Any]], t: dict[str, str]) -> str:
    sealed = next((e for e in entries if e.get("action") == "sealed"), None)
    detail = (sealed or {}).get("detail") or {}
    if detail.get("timestamp") == "ok":
        return f"{t['ts_ok']} {detail.get('timestamp_gen_time')} (manifest.tsr)"
    if detail.get("timestamp") == "failed":
        return f"{t['ts_failed']}: {detail.get('timestamp_error')}"
    return t["ts_none"]


def render_report_html(bundle: Path, lang: str, verified: VerifyReport, *, now: datetime | None = None) -> str:
    """The report's HTML for one language (``ru`` or ``kk``), built from the bundle's own files."""
    if lang not in LABELS:
        raise EvidenceError(f"no report template for language {lang!r}; have {', '.join(LABELS)}", path=bundle)
    root = Path(bundle)
    t = LABELS[lang]
    manifest = verified.manifest or _load_json(root / MANIFEST_FILE)
    entries = _custody_entries(root)
    views_meta = manifest.get("views")
    if isinstance(views_meta, dict) and views_meta:
        views = [
            _view(root, manifest, facts, f"{name}.", lang, t.get(f"view_{name}") or str(name))
            for name, facts in views_meta.items()
            if isinstance(facts, dict)
        ]
    else:
        views = [_view(root, manifest, manifest, "", lang, "")]
    files = [
        {
            "name": p.get("name"),
            "path": p.get("path"),
            "ok": p.get("status") == "ok",
            "size": p.get("size"),
            "sha256": p.get("sha256"),
            "error": p.get("error"),
        }
        for p in manifest.get("parts") or []
    ]
    for side in (MANIFEST_FILE, SIGNATURE_FILE, PUBLIC_KEY_FILE, TIMESTAMP_FILE):
        if (root / side).is_file():
            digest, size = sha256_file(root / side)
            files.append({"name": side, "path": side, "ok": True, "size": size, "sha256": digest, "error": None})
    captured = manifest.get("captured_at") or {}
    start_utc, start_local = _times(captured.get("start"))
    end_utc, end_local = _times(captured.get("end"))
    now = now or datetime.now(UTC)
    gen_utc, gen_local = _times(now.isoformat())
    return _ENV.get_template("report.html.j2").render(
        lang=lang,
        t=t,
        bundle_id=manifest.get("bundle_id"),
        case_ref=manifest.get("case_ref"),
        telegram=manifest.get("telegram") if isinstance(manifest.get("telegram"), dict) else None,
        views=views,
        time={"start_utc": start_utc, "start_local": start_local, "end_utc": end_utc, "end_local": end_local},
        versions=manifest.get("versions") or {},
        options=manifest.get("options") or {},
        resolver=sorted((manifest.get("resolver_overrides") or {}).items()),
        files=files,
        manifest_sha256=sha256_file(root / MANIFEST_FILE)[0] if (root / MANIFEST_FILE).is_file() else "—",
        key_id=(manifest.get("signer") or {}).get("key_id"),
        timestamp=_timestamp_status(entries, t),
        verified_ok=verified.ok,
        verify_failures=verified.failures[:20],
        generated_utc=gen_utc,
        generated_local=gen_local,
    )


def _custody_entries(root: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    try:
        raw = (root / CUSTODY_FILE).read_bytes()
    except OSError:
        return out
    for line in raw.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            out.append(entry)
    return out


def write_reports(
    bundle: Path,
    langs: Sequence[str],
    *,
    pdf: Callable[[str], bytes],
    signer: Signer,
    actor: str | None = None,
) -> list[Path]:
    """Render, print and record the reports of a sealed bundle; returns the PDF paths.

    Refuses a bundle that does not verify (a report must not lend credibility to a tampered
    bundle) or one sealed with another key (its custody lines could not be checked)."""
    root = Path(bundle)
    langs = list(dict.fromkeys(langs))
    for lang in langs:
        if lang not in LABELS:
            raise EvidenceError(f"no report template for language {lang!r}; have {', '.join(LABELS)}", path=root)
    verified = verify_bundle(root)
    # A damaged earlier report of a language being written again is replaced, not a reason to refuse.
    replaced = tuple(f"{report_name(lang)}:" for lang in langs)
    blocking = [f for f in verified.failures if not f.startswith(replaced)]
    if blocking:
        raise EvidenceError(f"bundle {root} does not verify: {'; '.join(blocking[:5])}", path=root)
    verified = VerifyReport(ok=True, failures=[], checks=verified.checks, manifest=verified.manifest)
    manifest = verified.manifest or {}
    if (manifest.get("signer") or {}).get("key_id") != signer.key_id:
        raise EvidenceError(
            f"bundle {root} was sealed with key {(manifest.get('signer') or {}).get('key_id')}, "
            f"not this service's key {signer.key_id}; its custody log cannot take a line from it",
            path=root,
        )
    now = datetime.now(UTC)
    written: list[Path] = []
    for lang in langs:
        data = pdf(render_report_html(root, lang, verified, now=now))
        if not data.startswith(b"%PDF-"):
            raise EvidenceError(f"the browser did not return a PDF for the {lang} report", path=root)
        path = root / report_name(lang)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        written.append(path)
    record_reports(root, written, signer=signer, actor=actor)
    return written


def write_report(bundle_path: Path, settings: Any, langs: Sequence[str] = LANGS) -> list[Path]:
    """For the CLI: start a capture service (its Chromium prints the PDFs), write, close."""
    from kuzet.evidence.capture import CaptureService

    with CaptureService(settings) as service:
        return service.write_report(Path(bundle_path), langs=tuple(langs))
