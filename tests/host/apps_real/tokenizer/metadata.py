"""Metadata of the whitespace tokenizer (a small real clams-python app,
written for clams-c's tests)."""
from clams.appmetadata import AppMetadata
from mmif import DocumentTypes

TOKEN = "http://vocab.lappsgrid.org/Token"


def appmetadata() -> AppMetadata:
    md = AppMetadata(
        name="Whitespace tokenizer",
        description="Splits each text document at whitespace",
        app_license="Apache 2.0",
        identifier="whitespace-tokenizer",
        url="https://example.org/whitespace-tokenizer",
    )
    md.add_input(DocumentTypes.TextDocument)
    md.add_output(TOKEN)
    md.add_parameter(name="lowercase", type="boolean", default=False,
                     description="lowercase each token")
    md.add_parameter(name="minLength", type="integer", default=1,
                     description="drop tokens shorter than this")
    md.add_parameter(name="labels", type="string", multivalued=True, default=[],
                     description="labels recorded in the view")
    md.add_parameter(name="fail", type="boolean", default=False,
                     description="raise an exception (for tests)")
    return md
