"""What every field-work page shares."""

from __future__ import annotations

from senda.core.views import staff_page_with

# Log-in required; "not found" is a 404 and a refusal a 403 page that says why.
staff_page = staff_page_with("casework/forbidden.html")
