"""A whitespace tokenizer written with clams-python, as apps in the CLAMS app
directory are (get_app(), metadata.py, the usual __main__ block)."""
import argparse
import logging

from clams import ClamsApp, Restifier
from mmif import DocumentTypes, Mmif

from metadata import TOKEN


class WhitespaceTokenizer(ClamsApp):

    def __init__(self):
        super().__init__()

    def _appmetadata(self):
        pass  # metadata.py

    def _annotate(self, mmif, **parameters):
        if not isinstance(mmif, Mmif):
            mmif = Mmif(mmif)
        if parameters.get("fail"):
            raise ValueError("the tokenizer was asked to fail")
        for doc in mmif.get_documents_by_type(DocumentTypes.TextDocument):
            view = mmif.new_view()
            self.sign_view(view, parameters)
            view.new_contain(TOKEN, document=doc.id)
            text = doc.text_value
            pos = 0
            for word in text.split():
                start = text.index(word, pos)
                pos = start + len(word)
                if len(word) < parameters["minLength"]:
                    continue
                view.new_annotation(TOKEN, start=start, end=pos,
                                    word=word.lower() if parameters["lowercase"] else word)
        return mmif


def get_app():
    return WhitespaceTokenizer()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", action="store", default="5000", help="port")
    parser.add_argument("--production", action="store_true", help="run gunicorn")
    parsed = parser.parse_args()
    app = get_app()
    http_app = Restifier(app, port=int(parsed.port))
    if parsed.production:
        http_app.serve_production()
    else:
        app.logger.setLevel(logging.DEBUG)
        http_app.run()
