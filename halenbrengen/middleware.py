"""The product's own 404 page where Django would show its debug page: in the demo of `make run`."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import page_not_found

# Django's debug pages (technical_404.html, technical_500.html) carry this robots line.
DEBUG_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


class ProductNotFoundMiddleware:
    """With DEBUG on and HB_TECHNICAL_404 off, a page that does not exist shows the product's
    404 page (in the visitor's language, fit for a phone) instead of Django's debug page.

    A 404 a view answers with its own page (a refused join link, say) is left as it is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and settings.DEBUG
            and not settings.HB_TECHNICAL_404
            and DEBUG_PAGE_MARK in getattr(response, "content", b"")
        ):
            return page_not_found(request, Http404())
        return response
