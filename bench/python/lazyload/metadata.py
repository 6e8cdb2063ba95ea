"""Metadata of the lazy-loading stand-in (bench/60-python.sh, warm-up case)."""
from clams.appmetadata import AppMetadata
from mmif import DocumentTypes

TOKEN = "http://vocab.lappsgrid.org/Token"


def appmetadata() -> AppMetadata:
    md = AppMetadata(
        name="Lazy model stand-in",
        description="Loads its 'model' (a sleep) on the first annotate, as whisper and swt do",
        app_license="Apache 2.0",
        identifier="lazy-model-standin",
        url="https://example.org/lazy-model-standin",
    )
    md.add_input(DocumentTypes.TextDocument)
    md.add_output(TOKEN)
    return md
