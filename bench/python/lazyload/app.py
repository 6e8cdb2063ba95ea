"""A clams-python app whose model loads lazily on the first annotate (as
whisper-wrapper and swt-detection load theirs): the load is a sleep of
LAZY_LOAD_S seconds (default 1.5), then each request counts the words of
each text document. bench/60-python.sh measures what --warmup saves."""
import os
import time

from clams import ClamsApp, Restifier
from mmif import DocumentTypes, Mmif

from metadata import TOKEN


class LazyModel(ClamsApp):

    def __init__(self):
        super().__init__()
        self.model = None

    def _appmetadata(self):
        pass  # metadata.py

    def _annotate(self, mmif, **parameters):
        if not isinstance(mmif, Mmif):
            mmif = Mmif(mmif)
        if self.model is None:  # the expensive part, paid by the first request
            time.sleep(float(os.environ.get("LAZY_LOAD_S", "1.5")))
            self.model = str.split
        for doc in mmif.get_documents_by_type(DocumentTypes.TextDocument):
            view = mmif.new_view()
            self.sign_view(view, parameters)
            view.new_contain(TOKEN, document=doc.id)
            view.new_annotation(TOKEN, count=len(self.model(doc.text_value)))
        return mmif


def get_app():
    return LazyModel()


if __name__ == "__main__":
    Restifier(get_app()).serve_production()
