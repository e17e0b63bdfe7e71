"""Build the six Word templates (three document kinds × Russian and Kazakh) with python-docx.

Run ``python -m kuzet.notify.templates.build_templates`` after changing the wording here. The
generated ``.docx`` files are committed and may then be edited directly in Word by legal staff;
rebuilding overwrites such edits, so edit either this script or the Word files, not both.

Placeholders (docxtpl / Jinja2) available to every template:

    {{ doc_id }} {{ created }} {{ sender }} {{ authority }} {{ category_label }} {{ legal_basis }}
    {{ route_words }} {{ analyst }} {{ rule_id }} {{ policy_version }} {{ disclaimer }}
    has_decision, decision.text / .number / .date / .authority / .resource
    justification: list of paragraphs
    resources: n, url, resource_key, first_seen, label
    evidence: n, file_name, size, captured_at, sha256
    bundles: path, manifest_sha256, key_id, url
    screenshots: image, caption

Paragraph-level tags are ``{%p ... %}``, table-row tags ``{%tr ... %}`` (each alone in its
paragraph or row), as docxtpl requires.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent
FONT = "Times New Roman"

COMMON: dict[str, dict[str, str | list[str]]] = {
    "ru": {
        "outgoing": "Исх. № {{ doc_id }} от {{ created }}",
        "resources_heading": "1. Сведения об интернет-ресурсах",
        "resources_caption": "Таблица 1",
        "resources_cols": ["№", "Адрес (URL)", "Ресурс", "Впервые выявлен", "Категория"],
        "decision": "Информация признана запрещённой: {{ decision.text }}; запись реестра: {{ decision.resource }}.",
        "basis_heading": "2. Правовое основание",
        "justification_heading": "3. Обоснование",
        "evidence_heading": "4. Перечень доказательств",
        "evidence_intro": (
            "Содержимое интернет-ресурсов зафиксировано средствами системы мониторинга kuzet. "
            "Для каждого файла приведена контрольная сумма SHA-256; манифест пакета "
            "доказательств подписан электронной подписью, что позволяет независимо "
            "проверить неизменность файлов."
        ),
        "evidence_caption": "Таблица 2",
        "evidence_cols": ["№", "Файл", "Размер, байт", "Время фиксации (UTC)", "SHA-256"],
        "bundle": (
            "Пакет доказательств: {{ b.path }}; SHA-256 манифеста: {{ b.manifest_sha256 }}; "
            "идентификатор ключа подписи: {{ b.key_id }}."
        ),
        "no_evidence": "Файлы доказательств к документу не приложены.",
        "screenshots_heading": "Приложение. Снимки экрана",
        "no_screenshots": "Снимки экрана отсутствуют.",
        "signature": "Руководитель структурного подразделения   _______________   (подпись, Ф.И.О.)",
        "analyst": "Исполнитель: {{ analyst }}",
        "proposed": "Проект предложен правилом «{{ rule_id }}» политики маршрутизации версии {{ policy_version }}.",
    },
    "kk": {
        "outgoing": "Шығыс № {{ doc_id }}, {{ created }} ж.",
        "resources_heading": "1. Интернет-ресурстар туралы мәліметтер",
        "resources_caption": "1-кесте",
        "resources_cols": ["№", "Мекенжайы (URL)", "Ресурс", "Алғаш анықталған күні", "Санаты"],
        "decision": (
            "Ақпарат таратуға тыйым салынған деп танылған: {{ decision.text }}; тізілім жазбасы: "
            "{{ decision.resource }}."
        ),
        "basis_heading": "2. Құқықтық негіз",
        "justification_heading": "3. Негіздеме",
        "evidence_heading": "4. Дәлелдемелер тізбесі",
        "evidence_intro": (
            "Интернет-ресурстардың мазмұны kuzet мониторинг жүйесінің құралдарымен тіркелді. "
            "Әрбір файл үшін SHA-256 бақылау сомасы келтірілген; дәлелдемелер пакетінің "
            "манифестіне электрондық қолтаңба қойылған, бұл файлдардың өзгермегенін дербес "
            "тексеруге мүмкіндік береді."
        ),
        "evidence_caption": "2-кесте",
        "evidence_cols": ["№", "Файл", "Өлшемі, байт", "Тіркелген уақыты (UTC)", "SHA-256"],
        "bundle": (
            "Дәлелдемелер пакеті: {{ b.path }}; манифестің SHA-256: {{ b.manifest_sha256 }}; "
            "қолтаңба кілтінің сәйкестендіргіші: {{ b.key_id }}."
        ),
        "no_evidence": "Дәлелдемелер файлдары құжатқа қоса берілмеген.",
        "screenshots_heading": "Қосымша. Экран суреттері",
        "no_screenshots": "Экран суреттері жоқ.",
        "signature": "Құрылымдық бөлімше басшысы   _______________   (қолы, Т.А.Ә.)",
        "analyst": "Орындаушы: {{ analyst }}",
        "proposed": "Жобаны бағыттау саясатының {{ policy_version }} нұсқасындағы «{{ rule_id }}» ережесі ұсынды.",
    },
}

KINDS: dict[str, dict[str, dict[str, str]]] = {
    "blocking_notification": {
        "ru": {
            "title": "УВЕДОМЛЕНИЕ",
            "subtitle": (
                "о выявлении интернет-ресурсов, содержащих информацию, запрещённую к "
                "распространению на территории Республики Казахстан"
            ),
            "intro": (
                "В ходе мониторинга открытых источников сети Интернет выявлены интернет-ресурсы, на "
                "которых распространяется информация, запрещённая к распространению вступившим в "
                "законную силу решением суда или законом Республики Казахстан "
                "({{ category_label }}). Сведения о ресурсах приведены в таблице 1."
            ),
            "request": (
                "На основании изложенного просим рассмотреть вопрос о принятии мер по ограничению "
                "доступа к указанным интернет-ресурсам в порядке, установленном законодательством "
                "Республики Казахстан, и сообщить о принятом решении."
            ),
        },
        "kk": {
            "title": "ХАБАРЛАМА",
            "subtitle": (
                "Қазақстан Республикасының аумағында таратуға тыйым салынған ақпараты бар "
                "интернет-ресурстарды анықтау туралы"
            ),
            "intro": (
                "Интернет желісінің ашық көздеріне мониторинг жүргізу барысында заңды күшіне енген сот "
                "шешімімен немесе Қазақстан Республикасының заңымен таратуға тыйым салынған ақпарат "
                "({{ category_label }}) таратылатын интернет-ресурстар анықталды. Ресурстар туралы "
                "мәліметтер 1-кестеде келтірілген."
            ),
            "request": (
                "Баяндалғанның негізінде көрсетілген интернет-ресурстарға қолжетімділікті Қазақстан "
                "Республикасының заңнамасында белгіленген тәртіппен шектеу жөнінде шаралар қабылдау "
                "мәселесін қарауды және қабылданған шешім туралы хабарлауды сұраймыз."
            ),
        },
    },
    "criminal_referral": {
        "ru": {
            "title": "МАТЕРИАЛЫ",
            "subtitle": "о выявлении признаков уголовного правонарушения в открытых источниках сети Интернет",
            "intro": (
                "В ходе мониторинга открытых источников сети Интернет выявлены интернет-ресурсы, "
                "содержащие признаки уголовного правонарушения ({{ category_label }}). Сведения о "
                "ресурсах приведены в таблице 1."
            ),
            "request": (
                "Направляем материалы для рассмотрения и принятия процессуального решения в порядке, "
                "предусмотренном Уголовно-процессуальным кодексом Республики Казахстан."
            ),
        },
        "kk": {
            "title": "МАТЕРИАЛДАР",
            "subtitle": "Интернет желісінің ашық көздерінде қылмыстық құқық бұзушылық белгілерін анықтау туралы",
            "intro": (
                "Интернет желісінің ашық көздеріне мониторинг жүргізу барысында қылмыстық құқық "
                "бұзушылық белгілері бар интернет-ресурстар анықталды ({{ category_label }}). Ресурстар "
                "туралы мәліметтер 1-кестеде келтірілген."
            ),
            "request": (
                "Материалдарды Қазақстан Республикасының Қылмыстық-процестік кодексінде көзделген "
                "тәртіппен қарау және процестік шешім қабылдау үшін жолдаймыз."
            ),
        },
    },
    "administrative_materials": {
        "ru": {
            "title": "МАТЕРИАЛЫ",
            "subtitle": ("о выявлении признаков административного правонарушения в открытых источниках сети Интернет"),
            "intro": (
                "В ходе мониторинга открытых источников сети Интернет выявлены интернет-ресурсы, "
                "содержащие признаки административного правонарушения ({{ category_label }}). "
                "Сведения о ресурсах приведены в таблице 1."
            ),
            "request": (
                "Направляем материалы для рассмотрения и принятия решения в порядке, "
                "предусмотренном Кодексом Республики Казахстан об административных "
                "правонарушениях."
            ),
        },
        "kk": {
            "title": "МАТЕРИАЛДАР",
            "subtitle": "Интернет желісінің ашық көздерінде әкімшілік құқық бұзушылық белгілерін анықтау туралы",
            "intro": (
                "Интернет желісінің ашық көздеріне мониторинг жүргізу барысында әкімшілік құқық "
                "бұзушылық белгілері бар интернет-ресурстар анықталды ({{ category_label }}). "
                "Ресурстар туралы мәліметтер 1-кестеде келтірілген."
            ),
            "request": (
                "Материалдарды Әкімшілік құқық бұзушылық туралы Қазақстан Республикасының "
                "Кодексінде көзделген тәртіппен қарау және шешім қабылдау үшін жолдаймыз."
            ),
        },
    },
}


def _style_document(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12)
    # Cyrillic and Kazakh letters must use the same face in every script slot.
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), FONT)
    normal.paragraph_format.space_after = Pt(4)


def _para(
    doc: DocxDocument,
    text: str = "",
    *,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    size: float | None = None,
    italic: bool = False,
) -> Paragraph:
    p = doc.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    return p


def _cell_text(cell: object, text: str, *, bold: bool = False, size: float = 9) -> None:
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def _loop_table(doc: DocxDocument, headers: list[str], loop: str, cells: list[str], widths_mm: list[float]) -> Table:
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, header in enumerate(headers):
        _cell_text(table.rows[0].cells[i], header, bold=True)
    _cell_text(table.rows[1].cells[0], f"{{%tr for {loop} %}}")
    for i, expr in enumerate(cells):
        _cell_text(table.rows[2].cells[i], f"{{{{ {expr} }}}}", size=8 if "sha256" in expr else 9)
    _cell_text(table.rows[3].cells[0], "{%tr endfor %}")
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)
    return table


def build(kind: str, lang: str, out_dir: Path = HERE) -> Path:
    common, words = COMMON[lang], KINDS[kind][lang]
    doc = Document()
    _style_document(doc)
    _para(doc, "{{ sender }}", bold=True)
    _para(doc, str(common["outgoing"]))
    _para(doc, "{{ authority }}", bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc)
    _para(doc, words["title"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=14)
    _para(doc, words["subtitle"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, words["intro"], align=WD_ALIGN_PARAGRAPH.JUSTIFY)

    _para(doc, str(common["resources_heading"]), bold=True)
    _para(doc, str(common["resources_caption"]), align=WD_ALIGN_PARAGRAPH.RIGHT, size=10)
    _loop_table(
        doc,
        list(common["resources_cols"]),
        "r in resources",
        ["r.n", "r.url", "r.resource_key", "r.first_seen", "r.label"],
        [10, 65, 35, 25, 30],
    )
    _para(doc, "{%p if has_decision %}")
    _para(doc, str(common["decision"]), align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _para(doc, "{%p endif %}")

    _para(doc, str(common["basis_heading"]), bold=True)
    _para(doc, "{{ legal_basis }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY)

    _para(doc, str(common["justification_heading"]), bold=True)
    _para(doc, "{%p for paragraph in justification %}")
    _para(doc, "{{ paragraph }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _para(doc, "{%p endfor %}")
    _para(doc, words["request"], align=WD_ALIGN_PARAGRAPH.JUSTIFY)

    _para(doc, str(common["evidence_heading"]), bold=True)
    _para(doc, "{%p if evidence %}")
    _para(doc, str(common["evidence_intro"]), align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _para(doc, str(common["evidence_caption"]), align=WD_ALIGN_PARAGRAPH.RIGHT, size=10)
    _loop_table(
        doc,
        list(common["evidence_cols"]),
        "e in evidence",
        ["e.n", "e.file_name", "e.size", "e.captured_at", "e.sha256"],
        [10, 40, 22, 30, 63],
    )
    _para(doc, "{%p for b in bundles %}")
    _para(doc, str(common["bundle"]), size=10)
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p else %}")
    _para(doc, str(common["no_evidence"]))
    _para(doc, "{%p endif %}")

    _para(doc)
    _para(doc, str(common["signature"]))
    _para(doc, str(common["analyst"]))

    _para(doc, str(common["screenshots_heading"]), bold=True)
    _para(doc, "{%p for s in screenshots %}")
    _para(doc, "{{ s.image }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "{{ s.caption }}", size=10, italic=True)
    _para(doc, "{%p else %}")
    _para(doc, str(common["no_screenshots"]))
    _para(doc, "{%p endfor %}")

    _para(doc, str(common["proposed"]), size=9, italic=True)
    _para(doc, "{{ disclaimer }}", size=9, italic=True)

    out = out_dir / f"{kind}.{lang}.docx"
    doc.save(str(out))
    return out


def main(argv: list[str] | None = None) -> int:
    out_dir = Path(argv[0]) if argv else HERE
    out_dir.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        for lang in COMMON:
            print(build(kind, lang, out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
