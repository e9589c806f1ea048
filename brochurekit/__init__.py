"""The IMS brochure engine: load, translate, render HTML, render PDF, preflight, publish."""
