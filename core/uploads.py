"""Upload size cap applied while the request body streams in, before anything is buffered.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE covers form fields only; a file part is handed to the upload
handlers however large it is (kept in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then in a temporary
file). This handler runs first and skips a file as soon as its bytes pass IMPORT_MAX_BYTES: the rest of
that part is read and thrown away, so nothing larger than the cap is ever kept. The view asks
`upload_too_large(request)` and answers with a clear message instead of "the field is required".
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

FLAG = "_upload_too_large"


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.IMPORT_MAX_BYTES
        self.received = 0

    def _refuse(self):
        if self.request is not None:
            setattr(self.request, FLAG, True)
        raise SkipFile

    def new_file(self, field_name, file_name, content_type, content_length, charset=None,
                 content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.received = 0
        if content_length is not None and content_length > self.limit:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None


def upload_too_large(request) -> bool:
    return bool(getattr(request, FLAG, False))
