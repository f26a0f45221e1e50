from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from feeds.opml import MAX_DOCUMENT_BYTES


class OpmlImportForm(forms.Form):
    file = forms.FileField(
        label=_("OPML file"),
        help_text=_("An OPML 2.0 document of at most 1 MB, such as another instance's export."),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d KB."),
                params={"size": MAX_DOCUMENT_BYTES // 1024},
            )
        return upload
