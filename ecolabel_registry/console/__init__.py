"""The web console: server-rendered pages for people who will never write an API call.

Buyers search certificates and check catalogues; auditors look at supply chains; anyone reads agreements
and checks a receipt against the log. Pages are Jinja2 templates rendered from the same service functions
the JSON API calls (never an HTTP call to ourselves), so a page and an API answer cannot disagree.
Everything works without JavaScript; `static/console.js` only adds conveniences.

    from ecolabel_registry.console import install
    install(app)   # /console pages, /console/static files, and / redirecting to /console
"""

from ecolabel_registry.console.install import install

__all__ = ["install"]
