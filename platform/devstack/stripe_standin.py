"""A loopback stand-in for the part of Stripe's API the product uses.

The tests (and a developer offline) point ``STRIPE_API_BASE`` at it: the real ``stripe``
library talks to it as it would to Stripe, in the shapes of API version
``2026-10-28.endive`` (a subscription's period lives on its items; an invoice names its
subscription under ``parent.subscription_details``). It serves plain HTML stand-ins for
Stripe's hosted checkout and customer portal, and Python calls for what Stripe does on its
own (a renewal that fails, a payment that succeeds, a cancellation). Events are recorded
in ``events`` and, when ``webhook_url`` is set, POSTed there signed as Stripe signs them.

Only 127.0.0.1; standard library only; the state is guarded by one lock.
"""

from __future__ import annotations

import calendar
import copy
import hashlib
import hmac
import html
import json
import queue
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_VERSION = "2026-10-28.endive"

_INTERVALS = {"month", "year"}


class StripeError(Exception):
    """An API error answered as Stripe answers it: ``{"error": {...}}`` with a 4xx."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        type: str = "invalid_request_error",
        code: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "message": message, "param": param}}
        if code:
            self.body["error"]["code"] = code


def _missing(kind: str, ident: str, param: str | None = None) -> StripeError:
    return StripeError(404, f"No such {kind}: '{ident}'", param=param, code="resource_missing")


def parse_form(body: str) -> dict:
    """Stripe's form encoding (``a[b][0][c]=v``) as nested dicts and lists."""
    root: dict = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        parts = _key_parts(key)
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        last = parts[-1]
        if last == "":  # a[]=x: append
            node.setdefault("", []).append(value)
        else:
            node[last] = value
    return _listify(root)


def _key_parts(key: str) -> list[str]:
    head, sep, rest = key.partition("[")
    parts = [head]
    while sep:
        inner, _, rest = rest.partition("]")
        parts.append(inner)
        _, sep, rest = rest.partition("[")
    return parts


def _listify(node):
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if list(converted) == [""]:
        return converted[""]
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def _add_interval(ts: int, interval: str, count: int = 1) -> int:
    moment = datetime.fromtimestamp(ts, tz=UTC)
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def _bool(value, default=False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in {"true", "1", "yes"}


def _int(value, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(400, f"Invalid integer: {value!r}", param=param) from None


class StripeStandin:
    """``start()``, use ``url`` as ``STRIPE_API_BASE``, ``stop()``. ``reset()`` forgets
    every object, event and request (prices too) and restores ``webhook_url``."""

    def __init__(
        self,
        api_key: str = "sk_test_standin",
        webhook_secret: str = "whsec_standin",  # noqa: S107 (a test double's own secret)
        webhook_url: str | None = None,
    ):
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self._initial_webhook_url = webhook_url
        self.webhook_url = webhook_url
        self.webhook_host: str | None = None
        self.clock = time.time  # what "now" is (time_machine moves it in the tests)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._queue: queue.Queue | None = None
        self._worker: threading.Thread | None = None
        self.reset()

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> StripeStandin:
        if self._server is not None:
            return self
        standin = self

        class Handler(_Handler):
            pass

        Handler.standin = standin
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="stripe-standin", daemon=True
        )
        self._thread.start()
        self._queue = queue.Queue()
        self._worker = threading.Thread(
            target=self._deliver_loop, name="stripe-standin-hooks", daemon=True
        )
        self._worker.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._queue.put(None)
        self._worker.join(5)
        self._server = self._thread = self._queue = self._worker = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The Stripe stand-in is not started.")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reset(self) -> None:
        """Forget all objects, events, requests and deliveries (prices included)."""
        if getattr(self, "_queue", None) is not None:
            self.drain()
        with self._lock:
            self.customers: dict[str, dict] = {}
            self.products: dict[str, dict] = {}
            self.prices: dict[str, dict] = {}
            self.sessions: dict[str, dict] = {}
            self.portal_sessions: dict[str, dict] = {}
            self.subscriptions: dict[str, dict] = {}
            self.invoices: dict[str, dict] = {}
            self.events: list[dict] = []
            self.requests: list[tuple[str, str, dict]] = []
            self.deliveries: list[tuple[str, int | None]] = []  # (event id, HTTP status)
            self.webhook_url = self._initial_webhook_url
            self.webhook_host = None
            self.clock = time.time

    def now(self) -> int:
        return int(self.clock())

    @staticmethod
    def _id(prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(12)}"

    # ---------------------------------------------------------------- prices
    def add_price(
        self,
        price_id: str,
        amount_cents: int,
        currency: str,
        interval: str,
        product_name: str | None = None,
    ) -> dict:
        """Register a recurring price; ``interval`` is "month"/"year" (or the product's
        "monthly"/"yearly")."""
        interval = {"monthly": "month", "yearly": "year"}.get(interval, interval)
        if interval not in _INTERVALS:
            raise ValueError(f"interval {interval!r} is not month or year")
        with self._lock:
            product = {
                "id": self._id("prod"),
                "object": "product",
                "name": product_name or price_id,
                "active": True,
            }
            self.products[product["id"]] = product
            price = {
                "id": price_id,
                "object": "price",
                "active": True,
                "currency": currency.lower(),
                "unit_amount": int(amount_cents),
                "recurring": {"interval": interval, "interval_count": 1},
                "product": product["id"],
                "type": "recurring",
                "livemode": False,
                "metadata": {},
            }
            self.prices[price_id] = price
            return copy.deepcopy(price)

    def _price(self, price_id, param) -> dict:
        price = self.prices.get(price_id or "")
        if price is None:
            raise _missing("price", price_id or "", param)
        return price

    # ---------------------------------------------------------------- events
    def _event(self, type_: str, obj: dict, previous: dict | None = None) -> dict:
        event = {
            "id": self._id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "livemode": False,
            "type": type_,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": copy.deepcopy(obj)},
        }
        if previous:
            event["data"]["previous_attributes"] = previous
        self.events.append(event)
        return event

    def signed(
        self, event: dict, *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, str]:
        """The body and ``Stripe-Signature`` header Stripe would send for ``event``."""
        payload = json.dumps(event).encode()
        t = int(timestamp if timestamp is not None else self.now())
        key = (secret if secret is not None else self.webhook_secret).encode()
        mac = hmac.new(key, f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
        return payload, f"t={t},v1={mac}"

    def deliver(self, event: dict) -> int | None:
        """POST ``event`` signed to ``webhook_url``; the HTTP status (None when it did not
        answer, or no webhook_url is set)."""
        if not self.webhook_url:
            return None
        if not self.webhook_url.startswith(("http://", "https://")):
            raise ValueError(f"webhook_url {self.webhook_url!r} is not http(s)")
        payload, header = self.signed(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": header,
            "User-Agent": "Stripe/1.0 (+standin)",
        }
        if self.webhook_host:
            headers["Host"] = self.webhook_host
        request = urllib.request.Request(  # noqa: S310 (http(s) checked above)
            self.webhook_url, data=payload, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError):
            status = None
        with self._lock:
            self.deliveries.append((event["id"], status))
        return status

    def _deliver_all(self, events: list[dict], deliver: bool) -> list[dict]:
        if deliver:
            for event in events:
                self.deliver(event)
        return events

    def _deliver_later(self, events: list[dict]) -> None:
        """Events of API calls go out from a worker thread, in order, after the answer (the
        caller may hold a transaction the webhook would wait on)."""
        if self.webhook_url and self._queue is not None:
            for event in events:
                self._queue.put(event)

    def _deliver_loop(self) -> None:
        q = self._queue
        while True:
            event = q.get()
            try:
                if event is None:
                    return
                self.deliver(event)
            finally:
                q.task_done()

    def drain(self) -> None:
        """Wait until the events of API calls are delivered."""
        if self._queue is not None:
            self._queue.join()

    # ---------------------------------------------------------------- objects
    def _customer(self, email="", name="", metadata=None) -> dict:
        customer = {
            "id": self._id("cus"),
            "object": "customer",
            "email": email or None,
            "name": name or None,
            "metadata": dict(metadata or {}),
            "created": self.now(),
            "livemode": False,
            "invoice_settings": {},
        }
        self.customers[customer["id"]] = customer
        return customer

    def _get(self, store: dict, kind: str, ident: str, param=None) -> dict:
        obj = store.get(ident or "")
        if obj is None:
            raise _missing(kind, ident or "", param)
        return obj

    def _item(self, price: dict, start: int, end: int) -> dict:
        return {
            "id": self._id("si"),
            "object": "subscription_item",
            "price": copy.deepcopy(price),
            "quantity": 1,
            "current_period_start": start,
            "current_period_end": end,
            "metadata": {},
        }

    def _invoice(self, sub: dict, lines: list[dict], *, status: str, reason: str) -> dict:
        amount = sum(line["amount"] for line in lines)
        currency = sub["items"]["data"][0]["price"]["currency"]
        now = self.now()
        invoice_id = self._id("in")
        item = sub["items"]["data"][0]
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "customer": sub["customer"],
            "status": status,
            "amount_due": max(amount, 0),
            "amount_paid": max(amount, 0) if status == "paid" else 0,
            "amount_remaining": 0 if status == "paid" else max(amount, 0),
            "total": amount,
            "subtotal": amount,
            "currency": currency,
            "billing_reason": reason,
            "created": now,
            "attempt_count": 1 if status else 0,
            "period_start": item["current_period_start"],
            "period_end": item["current_period_end"],
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "subscription": sub["id"],
                    "metadata": dict(sub["metadata"]),
                },
            },
            "lines": {
                "object": "list",
                "data": lines,
                "has_more": False,
                "url": f"/v1/invoices/{invoice_id}/lines",
            },
            "hosted_invoice_url": f"{self.url}/invoice/{invoice_id}" if self._server else None,
            "livemode": False,
        }
        if status:
            self.invoices[invoice_id] = invoice
            sub["latest_invoice"] = invoice_id
        return invoice

    def _line(
        self,
        price: dict,
        amount: int,
        start: int,
        end: int,
        description: str,
        proration: bool = False,
    ) -> dict:
        return {
            "id": self._id("il"),
            "object": "line_item",
            "amount": amount,
            "currency": price["currency"],
            "description": description,
            "period": {"start": start, "end": end},
            "proration": proration,
            "pricing": {"type": "price_details", "price_details": {"price": price["id"]}},
            "quantity": 1,
        }

    def _period_line(self, price: dict, start: int) -> dict:
        end = _add_interval(start, price["recurring"]["interval"])
        return self._line(
            price,
            price["unit_amount"],
            start,
            end,
            f"1 × {price['id']} (at {price['unit_amount']} / {price['recurring']['interval']})",
        )

    def _subscription_from_session(self, session: dict) -> dict:
        price = self._price(session["_price"], "line_items[0][price]")
        now = self.now()
        trial_end = session["_trial_end"]
        start = now
        end = trial_end or _add_interval(now, price["recurring"]["interval"])
        sub_id = self._id("sub")
        sub = {
            "id": sub_id,
            "object": "subscription",
            "customer": session["customer"],
            "status": "trialing" if trial_end else "active",
            "cancel_at_period_end": False,
            "cancel_at": None,
            "canceled_at": None,
            "ended_at": None,
            "created": now,
            "start_date": now,
            "metadata": dict(session["_subscription_metadata"]),
            "items": {
                "object": "list",
                "data": [self._item(price, start, end)],
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
            "latest_invoice": None,
            "trial_start": now if trial_end else None,
            "trial_end": trial_end,
            "currency": price["currency"],
            "livemode": False,
            "collection_method": "charge_automatically",
        }
        self.subscriptions[sub_id] = sub
        return sub

    # ---------------------------------------------------------------- Stripe's own doings
    def complete_checkout(self, session_id: str, deliver: bool = True) -> list[dict]:
        """The customer pays on the hosted page: customer (if new), an active subscription
        with one item, a paid invoice; events checkout.session.completed,
        customer.subscription.created, invoice.paid."""
        with self._lock:
            session = self._get(self.sessions, "checkout session", session_id)
            if session["status"] != "open":
                raise StripeError(400, f"Checkout session {session_id} is {session['status']}.")
            if not session["customer"]:
                session["customer"] = self._customer(email=session["customer_email"] or "")["id"]
            sub = self._subscription_from_session(session)
            item = sub["items"]["data"][0]
            amount = 0 if sub["trial_end"] else item["price"]["unit_amount"]
            line = self._line(
                item["price"],
                amount,
                item["current_period_start"],
                item["current_period_end"],
                f"1 × {item['price']['id']}",
            )
            invoice = self._invoice(sub, [line], status="paid", reason="subscription_create")
            session.update(
                status="complete",
                payment_status="paid",
                subscription=sub["id"],
                amount_total=amount,
            )
            events = [
                self._event("checkout.session.completed", self._public(session)),
                self._event("customer.subscription.created", sub),
                self._event("invoice.paid", invoice),
            ]
        return self._deliver_all(events, deliver)

    def fail_payment(self, subscription_id: str, deliver: bool = True) -> list[dict]:
        """The renewal's charge fails: the period rolls on, the invoice stays open, the
        subscription is past_due; events invoice.payment_failed, customer.subscription.updated."""
        with self._lock:
            sub = self._get(self.subscriptions, "subscription", subscription_id)
            self._renew(sub)
            item = sub["items"]["data"][0]
            line = self._line(
                item["price"],
                item["price"]["unit_amount"],
                item["current_period_start"],
                item["current_period_end"],
                f"1 × {item['price']['id']}",
            )
            invoice = self._invoice(sub, [line], status="open", reason="subscription_cycle")
            previous = {"status": sub["status"]}
            sub["status"] = "past_due"
            events = [
                self._event("invoice.payment_failed", invoice),
                self._event("customer.subscription.updated", sub, previous),
            ]
        return self._deliver_all(events, deliver)

    def pay(self, subscription_id: str, deliver: bool = True) -> list[dict]:
        """The open invoice is paid (else: a renewal is paid); active; events invoice.paid,
        customer.subscription.updated."""
        with self._lock:
            sub = self._get(self.subscriptions, "subscription", subscription_id)
            invoice = self.invoices.get(sub["latest_invoice"] or "")
            if invoice is None or invoice["status"] != "open":
                self._renew(sub)
                item = sub["items"]["data"][0]
                line = self._line(
                    item["price"],
                    item["price"]["unit_amount"],
                    item["current_period_start"],
                    item["current_period_end"],
                    f"1 × {item['price']['id']}",
                )
                invoice = self._invoice(sub, [line], status="open", reason="subscription_cycle")
            invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
            previous = {"status": sub["status"]}
            sub["status"] = "active"
            events = [
                self._event("invoice.paid", invoice),
                self._event("customer.subscription.updated", sub, previous),
            ]
        return self._deliver_all(events, deliver)

    def cancel(self, subscription_id: str, deliver: bool = True) -> list[dict]:
        """The subscription ends now; event customer.subscription.deleted."""
        with self._lock:
            sub = self._get(self.subscriptions, "subscription", subscription_id)
            self._end(sub)
            events = [self._event("customer.subscription.deleted", sub)]
        return self._deliver_all(events, deliver)

    def _end(self, sub: dict) -> None:
        now = self.now()
        sub.update(status="canceled", canceled_at=sub["canceled_at"] or now, ended_at=now)

    def _renew(self, sub: dict) -> None:
        item = sub["items"]["data"][0]
        start = item["current_period_end"]
        item["current_period_start"] = start
        item["current_period_end"] = _add_interval(start, item["price"]["recurring"]["interval"])

    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}

    # ---------------------------------------------------------------- the API
    def handle_api(self, method: str, path: str, params: dict) -> tuple[int, dict, list]:
        """(status, body, events to deliver after answering)."""
        with self._lock:
            self.requests.append((method, path, copy.deepcopy(params)))
            parts = [p for p in path.split("/") if p][1:]  # drop "v1"
            events: list[dict] = []
            body = copy.deepcopy(self._route(method, parts, params, events))
            expand = params.get("expand") or []
            for path in [expand] if isinstance(expand, str) else expand:
                self._expand(body, path.split("."))
            return 200, body, events

    def _expand(self, obj, path: list[str]) -> None:
        """``expand[]=latest_invoice`` (or ``data.latest_invoice`` on a list): an id becomes
        its object."""
        if isinstance(obj, list):
            for element in obj:
                self._expand(element, path)
            return
        if not isinstance(obj, dict) or not path or path[0] not in obj:
            return
        if len(path) > 1:
            self._expand(obj[path[0]], path[1:])
            return
        value = obj[path[0]]
        if isinstance(value, str):
            stores = {
                "in": self.invoices,
                "sub": self.subscriptions,
                "cus": self.customers,
                "cs": self.sessions,
                "price": self.prices,
            }
            found = stores.get(value.split("_", 1)[0], {}).get(value)
            if found is not None:
                obj[path[0]] = self._public(found)

    def _route(self, method, parts, params, events):
        n = len(parts)
        head = parts[0] if parts else ""
        if head == "customers":
            if n == 1 and method == "POST":
                return self._customer(
                    params.get("email", ""), params.get("name", ""), params.get("metadata")
                )
            if n == 1 and method == "GET":
                found = [
                    c
                    for c in self.customers.values()
                    if not params.get("email") or c["email"] == params["email"]
                ]
                return self._list(found, "/v1/customers")
            if n == 2:
                customer = self._get(self.customers, "customer", parts[1])
                if method == "POST":
                    for field in ("email", "name"):
                        if field in params:
                            customer[field] = params[field] or None
                    customer["metadata"].update(params.get("metadata") or {})
                return customer
        if head == "checkout" and n >= 2 and parts[1] == "sessions":
            if n == 2 and method == "POST":
                return self._public(self._create_session(params))
            if n == 3 and method == "GET":
                return self._public(self._get(self.sessions, "checkout.session", parts[2]))
        if head == "billing_portal" and n == 2 and parts[1] == "sessions" and method == "POST":
            customer = self._get(self.customers, "customer", params.get("customer"), "customer")
            portal_id = self._id("bps")
            portal = {
                "id": portal_id,
                "object": "billing_portal.session",
                "customer": customer["id"],
                "return_url": params.get("return_url"),
                "created": self.now(),
                "livemode": False,
                "url": f"{self.url}/portal/{portal_id}",
            }
            self.portal_sessions[portal_id] = portal
            return portal
        if head == "subscriptions":
            if n == 1 and method == "GET":
                wanted = params.get("status")
                found = [
                    s
                    for s in self.subscriptions.values()
                    if (not params.get("customer") or s["customer"] == params["customer"])
                    and (
                        wanted == "all"
                        or (wanted and s["status"] == wanted)
                        or (not wanted and s["status"] != "canceled")
                    )
                ]
                return self._list(found, "/v1/subscriptions")
            if n == 2:
                sub = self._get(self.subscriptions, "subscription", parts[1])
                if method == "GET":
                    return sub
                if method == "POST":
                    return self._update_subscription(sub, params, events)
                if method == "DELETE":
                    self._end(sub)
                    events.append(self._event("customer.subscription.deleted", sub))
                    return sub
        if head == "invoices":
            if n == 2 and parts[1] == "create_preview" and method == "POST":
                return self._preview(params)
            if n == 2 and method == "GET":
                return self._get(self.invoices, "invoice", parts[1])
            if n == 1 and method == "GET":
                found = [
                    i
                    for i in self.invoices.values()
                    if (not params.get("customer") or i["customer"] == params["customer"])
                    and (
                        not params.get("subscription")
                        or i["parent"]["subscription_details"]["subscription"]
                        == params["subscription"]
                    )
                ]
                return self._list(list(reversed(found)), "/v1/invoices")
        if head == "prices":
            if n == 1 and method == "POST":
                recurring = params.get("recurring") or {}
                if "unit_amount" not in params or "currency" not in params:
                    raise StripeError(
                        400, "Missing required param: unit_amount.", param="unit_amount"
                    )
                price_id = params.get("lookup_key") or self._id("price")
                name = (params.get("product_data") or {}).get("name")
                return self.add_price(
                    price_id,
                    _int(params["unit_amount"], "unit_amount"),
                    params["currency"],
                    recurring.get("interval", "month"),
                    product_name=name,
                )
            if n == 2 and method == "GET":
                return self._price(parts[1], None)
        raise StripeError(404, f"Unrecognized request URL ({method}: /v1/{'/'.join(parts)}).")

    @staticmethod
    def _list(items, url):
        return {"object": "list", "data": items, "has_more": False, "url": url}

    def _create_session(self, params: dict) -> dict:
        if params.get("mode") != "subscription":
            raise StripeError(400, "The stand-in only knows mode=subscription.", param="mode")
        if not params.get("success_url"):
            raise StripeError(400, "Missing required param: success_url.", param="success_url")
        items = params.get("line_items") or []
        if not isinstance(items, list) or len(items) != 1:
            raise StripeError(400, "Exactly one line item, please.", param="line_items")
        price = self._price(items[0].get("price"), "line_items[0][price]")
        if _int(items[0].get("quantity", 1), "line_items[0][quantity]") != 1:
            raise StripeError(400, "Quantity must be 1.", param="line_items[0][quantity]")
        customer = params.get("customer") or None
        if customer:
            self._get(self.customers, "customer", customer, "customer")
        data = params.get("subscription_data") or {}
        trial_end = None
        if data.get("trial_end"):
            trial_end = _int(data["trial_end"], "subscription_data[trial_end]")
        elif data.get("trial_period_days"):
            trial_end = self.now() + 86400 * _int(
                data["trial_period_days"], "subscription_data[trial_period_days]"
            )
        session_id = "cs_test_" + secrets.token_hex(16)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "subscription",
            "customer": customer,
            "customer_email": params.get("customer_email") or None,
            "subscription": None,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": dict(params.get("metadata") or {}),
            "status": "open",
            "payment_status": "unpaid",
            "url": f"{self.url}/checkout/{session_id}",
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "amount_total": price["unit_amount"],
            "currency": price["currency"],
            "created": self.now(),
            "expires_at": self.now() + 86400,
            "livemode": False,
            "_price": price["id"],
            "_subscription_metadata": dict(data.get("metadata") or {}),
            "_trial_end": trial_end,
            "_declined": False,
        }
        self.sessions[session_id] = session
        return session

    def _proration(self, sub: dict, new_price: dict, behavior: str) -> tuple[list, bool]:
        """(lines, period resets) of moving ``sub`` to ``new_price`` now."""
        item = sub["items"]["data"][0]
        old = item["price"]
        now = self.now()
        start, end = item["current_period_start"], item["current_period_end"]
        resets = old["recurring"]["interval"] != new_price["recurring"]["interval"]
        lines = []
        if behavior != "none" and sub["status"] != "trialing" and end > start:
            fraction = max(0.0, min(1.0, (end - now) / (end - start)))
            unused = -round(old["unit_amount"] * fraction)
            if unused:
                lines.append(
                    self._line(old, unused, now, end, f"Unused time on {old['id']}", proration=True)
                )
            if resets:
                lines.append(
                    self._line(
                        new_price,
                        new_price["unit_amount"],
                        now,
                        _add_interval(now, new_price["recurring"]["interval"]),
                        f"1 × {new_price['id']}",
                    )
                )
            else:
                remaining = round(new_price["unit_amount"] * fraction)
                if remaining:
                    lines.append(
                        self._line(
                            new_price,
                            remaining,
                            now,
                            end,
                            f"Remaining time on {new_price['id']}",
                            proration=True,
                        )
                    )
        return lines, resets

    def _preview(self, params: dict) -> dict:
        sub_id = params.get("subscription")
        if not sub_id:
            raise StripeError(
                400, "The stand-in previews a subscription's invoice only.", param="subscription"
            )
        sub = self._get(self.subscriptions, "subscription", sub_id, "subscription")
        if params.get("customer") and params["customer"] != sub["customer"]:
            raise StripeError(400, "The subscription is not this customer's.", param="customer")
        details = params.get("subscription_details") or {}
        behavior = details.get("proration_behavior", "create_prorations")
        items = details.get("items") or []
        item = sub["items"]["data"][0]
        new_price = item["price"]
        if items:
            if items[0].get("id") and items[0]["id"] != item["id"]:
                raise _missing(
                    "subscription item", items[0]["id"], "subscription_details[items][0][id]"
                )
            if items[0].get("price"):
                new_price = self._price(items[0]["price"], "subscription_details[items][0][price]")
        changed = new_price["id"] != item["price"]["id"]
        lines, resets = self._proration(sub, new_price, behavior) if changed else ([], False)
        if behavior == "always_invoice" and changed:
            pass  # the invoice made now: the prorations (and a new period when it resets)
        elif not resets:
            lines.append(self._period_line(new_price, item["current_period_end"]))
        preview = copy.deepcopy(sub)
        preview["items"]["data"][0]["price"] = copy.deepcopy(new_price)
        invoice = self._invoice(preview, lines, status="", reason="upcoming")
        invoice.update(id=None, status="draft", hosted_invoice_url=None)
        invoice["lines"]["url"] = "/v1/invoices/upcoming/lines"
        return invoice

    def _update_subscription(self, sub: dict, params: dict, events: list) -> dict:
        previous: dict = {}
        invoice = None
        items = params.get("items") or []
        if items:
            item = sub["items"]["data"][0]
            if items[0].get("id") and items[0]["id"] != item["id"]:
                raise _missing("subscription item", items[0]["id"], "items[0][id]")
            if items[0].get("price") and items[0]["price"] != item["price"]["id"]:
                new_price = self._price(items[0]["price"], "items[0][price]")
                behavior = params.get("proration_behavior", "create_prorations")
                lines, resets = self._proration(sub, new_price, behavior)
                previous["items"] = copy.deepcopy(sub["items"])
                item["price"] = copy.deepcopy(new_price)
                if resets:
                    now = self.now()
                    item["current_period_start"] = now
                    item["current_period_end"] = _add_interval(
                        now, new_price["recurring"]["interval"]
                    )
                if lines and (behavior == "always_invoice" or resets):
                    invoice = self._invoice(sub, lines, status="paid", reason="subscription_update")
        if "cancel_at_period_end" in params:
            value = _bool(params["cancel_at_period_end"])
            if value != sub["cancel_at_period_end"]:
                previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
                sub["cancel_at_period_end"] = value
                sub["cancel_at"] = sub["items"]["data"][0]["current_period_end"] if value else None
                sub["canceled_at"] = self.now() if value else None
        if "metadata" in params:
            metadata = params["metadata"] or {}
            previous["metadata"] = dict(sub["metadata"])
            if metadata == "":
                sub["metadata"] = {}
            else:
                for key, value in metadata.items():
                    if value == "":
                        sub["metadata"].pop(key, None)
                    else:
                        sub["metadata"][key] = value
        if previous:
            events.append(self._event("customer.subscription.updated", sub, previous))
        if invoice is not None:
            events.append(self._event("invoice.paid", invoice))
        return sub

    # ---------------------------------------------------------------- hosted pages
    def handle_page(self, method: str, path: str, form: dict) -> tuple[int, dict, str]:
        """(status, headers, html) of the hosted checkout and portal pages."""
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "checkout":
            with self._lock:
                session = self.sessions.get(parts[1])
                if session is None:
                    return 404, {}, _page("Not found", "<p>No such checkout session.</p>")
                snapshot = copy.deepcopy(session)
            if len(parts) == 2 and method == "GET":
                return 200, {}, _checkout_page(self, snapshot)
            if len(parts) == 3 and method == "POST" and parts[2] == "pay":
                if snapshot["status"] != "open":
                    return 409, {}, _page("Checkout", "<p>This checkout is already complete.</p>")
                self.complete_checkout(snapshot["id"], deliver=True)
                target = snapshot["success_url"].replace("{CHECKOUT_SESSION_ID}", snapshot["id"])
                return 303, {"Location": target}, ""
            if len(parts) == 3 and method == "POST" and parts[2] == "decline":
                with self._lock:
                    session["_declined"] = True
                return 402, {}, _checkout_page(self, snapshot, declined=True)
        if len(parts) >= 2 and parts[0] == "portal":
            with self._lock:
                portal = self.portal_sessions.get(parts[1])
                if portal is None:
                    return 404, {}, _page("Not found", "<p>No such portal session.</p>")
                subs = [
                    copy.deepcopy(s)
                    for s in self.subscriptions.values()
                    if s["customer"] == portal["customer"]
                ]
            if len(parts) == 2 and method == "GET":
                return 200, {}, _portal_page(portal, subs)
            if len(parts) == 3 and method == "POST" and parts[2] == "cancel":
                sub_id = form.get("subscription", "")
                with self._lock:
                    sub = self.subscriptions.get(sub_id)
                    if sub is None or sub["customer"] != portal["customer"]:
                        return 404, {}, _page("Not found", "<p>No such subscription.</p>")
                    events = []
                    self._update_subscription(sub, {"cancel_at_period_end": "true"}, events)
                self._deliver_all(events, True)
                return 303, {"Location": f"/portal/{portal['id']}"}, ""
        return 404, {}, _page("Not found", "<p>Not found.</p>")


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}'
        f"</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _money(cents: int, currency: str) -> str:
    return f"{cents / 100:.2f} {currency.upper()}"


def _checkout_page(standin: StripeStandin, session: dict, declined: bool = False) -> str:
    with standin._lock:
        price = copy.deepcopy(standin.prices.get(session["_price"], {}))
    amount = _money(price.get("unit_amount", 0), price.get("currency", ""))
    interval = (price.get("recurring") or {}).get("interval", "")
    body = [f'<p class="price">{html.escape(amount)} / {html.escape(interval)}</p>']
    if session["customer_email"]:
        body.append(f'<p class="email">{html.escape(session["customer_email"])}</p>')
    if declined:
        body.append('<p class="error" role="alert">Your card was declined.</p>')
    if session["status"] == "open":
        sid = html.escape(session["id"])
        body.append(
            f'<form method="post" action="/checkout/{sid}/pay">'
            '<button type="submit">Pay</button></form>'
        )
        body.append(
            f'<form method="post" action="/checkout/{sid}/decline">'
            '<button type="submit">Decline card</button></form>'
        )
    else:
        body.append("<p>This checkout is complete.</p>")
    if session["cancel_url"]:
        body.append(f'<a href="{html.escape(session["cancel_url"])}">Back</a>')
    return _page("Checkout", "".join(body))


def _portal_page(portal: dict, subs: list[dict]) -> str:
    body = []
    for sub in subs:
        item = sub["items"]["data"][0]
        price = item["price"]
        end = datetime.fromtimestamp(item["current_period_end"], tz=UTC).date()
        body.append(
            f'<div class="subscription"><p>{html.escape(price["id"])}: '
            f"{html.escape(_money(price['unit_amount'], price['currency']))} / "
            f"{html.escape(price['recurring']['interval'])}</p>"
            f'<p class="status">{html.escape(sub["status"])}</p>'
            f'<p class="period-end">{end.isoformat()}</p>'
        )
        if sub["cancel_at_period_end"]:
            body.append('<p class="cancelling">Cancels at the end of the period.</p>')
        elif sub["status"] != "canceled":
            body.append(
                f'<form method="post" action="/portal/{html.escape(portal["id"])}/cancel">'
                f'<input type="hidden" name="subscription" value="{html.escape(sub["id"])}">'
                '<button type="submit">Cancel subscription</button></form>'
            )
        body.append("</div>")
    if portal["return_url"]:
        body.append(f'<a href="{html.escape(portal["return_url"])}">Return</a>')
    return _page("Billing portal", "".join(body))


class _Handler(BaseHTTPRequestHandler):
    standin: StripeStandin
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet
        pass

    def _read(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    def _send(self, status: int, body: bytes, content_type: str, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: dict):
        self._send(
            status,
            json.dumps(obj).encode(),
            "application/json",
            {"Request-Id": "req_" + secrets.token_hex(8), "Stripe-Version": API_VERSION},
        )

    def _dispatch(self, method: str):
        url = urllib.parse.urlsplit(self.path)
        raw = self._read()
        if url.path.startswith("/v1/"):
            query = parse_form(url.query)
            params = {**query, **parse_form(raw)} if method == "POST" else query
            auth = self.headers.get("Authorization", "")
            if not hmac.compare_digest(auth, f"Bearer {self.standin.api_key}"):
                key = auth.removeprefix("Bearer ")
                self._json(
                    401,
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "param": None,
                            "message": f"Invalid API Key provided: {key[:8]}{'*' * 4}",
                        }
                    },
                )
                return
            try:
                status, body, events = self.standin.handle_api(method, url.path, params)
            except StripeError as error:
                self._json(error.status, error.body)
                return
            self._json(status, body)
            self.standin._deliver_later(events)
            return
        status, headers, page = self.standin.handle_page(method, url.path, parse_form(raw))
        self._send(status, page.encode(), "text/html; charset=utf-8", headers)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")
