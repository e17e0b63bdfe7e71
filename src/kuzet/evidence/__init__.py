"""Evidence capture: a page recorded in chromium and sealed as a verifiable bundle.

    capture.CaptureService   drive chromium, take every part, seal     -> records.EvidenceBundle
                             .capture_telegram_post: a post page + its channel preview, one bundle
                             .write_report: report.ru.pdf / report.kk.pdf («ПРОТОКОЛ осмотра»)
    report.write_report      the same for the CLI (starts and closes its own service)
    seal.seal_bundle         SHA256SUMS, canonical manifest, signature, RFC 3161 token, custody
    verify.verify_bundle     check a bundle with nothing but its own files
    signing.Signer           the Ed25519 key (created on first use, 0600)
    custody.append_custody   add a line to a bundle's hash-chained custody log

The bundle format, and how to verify one by hand, is in docs/evidence-format.md.
"""
