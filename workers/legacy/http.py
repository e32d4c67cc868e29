"""A legacy system published as a JSON web service (one GET per system and person)."""

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from workers.errors import PermanentFailure, TransientFailure


class HttpAdapter:
    source = "http"

    def __init__(self, url_template: str, timeout: float) -> None:
        # e.g. https://legado.icetex.local/api/{sistema}/personas/{documento}
        self.url_template = url_template
        self.timeout = timeout

    def lookup(self, system: str, document: str) -> dict[str, Any] | None:
        url = self.url_template.format(
            sistema=urllib.parse.quote(system), documento=urllib.parse.quote(document.strip())
        )
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            if exc.code >= 500 or exc.code in (408, 429):
                raise TransientFailure(f"{system}: el servicio respondió {exc.code}") from exc
            raise PermanentFailure(
                f"{system}: el servicio rechazó la consulta ({exc.code})"
            ) from exc
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            raise TransientFailure(f"{system}: sin respuesta del servicio ({exc})") from exc
        except json.JSONDecodeError as exc:
            raise PermanentFailure(f"{system}: la respuesta no es JSON válido") from exc
