from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    template = "news/home.html" if request.user.is_authenticated else "news/landing.html"
    return render(request, template)
