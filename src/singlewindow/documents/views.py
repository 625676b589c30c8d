"""The documents' pages: a document's download for its enterprise and insurer branch, and the public 保单查验."""
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from singlewindow.http import client_ip
from singlewindow.machines import Refused

from . import signing, storage, verification
from .forms import CodeForm, UploadForm
from .models import PolicyDocument


@login_required
@require_GET
def download(request, pk):
    """A signed PDF, saved rather than shown, for the policy's enterprise and its insurer branch; 404 to anyone
    else signed in (another enterprise, another branch, a bureau), as if it did not exist."""
    document = get_object_or_404(PolicyDocument.objects.visible_to(request.user).select_related("policy"), pk=pk)
    try:
        handle = storage.open_stored(document.stored_name)
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=document.filename, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def verify(request):
    """保单查验, without login: the number and code (a form sent by GET, which is also the QR code's address), or a
    PDF (POST). One answer for every pair that is not a document's, and 429 past the address's hourly limit."""
    ip = client_ip(request)
    code_form, upload_form = CodeForm(), UploadForm()
    outcome, refused, status = None, None, 200
    try:
        if request.method == "POST":
            upload_form = UploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                outcome = verification.by_content(upload_form.cleaned_data["file"], ip=ip)
            else:
                status = 400
        elif "number" in request.GET or "code" in request.GET:
            code_form = CodeForm(request.GET)
            if code_form.is_valid():
                outcome = verification.by_code(code_form.cleaned_data["number"], code_form.cleaned_data["code"],
                                               ip=ip)
            else:
                status = 400
    except Refused as error:
        refused, status = str(error), 429
    response = render(request, "documents/verify.html", {
        "code_form": code_form, "upload_form": upload_form, "outcome": outcome, "refused": refused,
        "ca_name": signing.CA_COMMON_NAME,
    }, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def ca_certificate(request):
    """The document-signing CA's certificate (DER), for a reader's list of trusted certificates."""
    return HttpResponse(signing.authority().der, headers={
        "Content-Type": "application/pkix-cert",
        "Content-Disposition": 'attachment; filename="singlewindow-document-ca.cer"',
        "X-Content-Type-Options": "nosniff",
    })


