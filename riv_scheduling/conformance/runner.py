"""Running scenarios against a producer: steps, exchanges, checks, and their verdicts."""

from __future__ import annotations

import copy
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from lxml import etree

from riv_scheduling.conformance import checks as c
from riv_scheduling.conformance import contracts, rules
from riv_scheduling.conformance.client import NOT_SERVED_FAULTS, Connection, Exchange
from riv_scheduling.conformance.expressions import (
    Context,
    StepState,
    StepUnavailable,
    Unresolved,
    parse_path,
    select,
    stockholm_now_ts,
    stockholm_today,
    text_of,
)
from riv_scheduling.conformance.scenario import Scenario, Step, auto_check_ids
from riv_scheduling.contract import CITIZEN_ACTOR_CODE, SNOMED_CT_OID, personal_identity

PASS, FAIL, NA, BLOCKED = "pass", "fail", "n/a", "blocked"
STATUSES = (PASS, FAIL, NA, BLOCKED)


DEFAULT_PERSON = rules.DEFAULT_PERSON
DEFAULT_PERSON2 = rules.DEFAULT_PERSON2
DEFAULT_REASON = "Konformitetstest (riv-scheduling conformance kit)"


@dataclass
class RunOptions:
    base_url: str
    logical_address: str
    person: str = DEFAULT_PERSON
    person2: str = DEFAULT_PERSON2
    read_only: bool = False
    variables: dict[str, str] = field(default_factory=dict)
    time_type: str | None = None
    days_ahead: int = 2
    days: int = 7
    timeout: float = 30.0
    probe_wsdl: bool = True
    not_served_faults: tuple[str, ...] = NOT_SERVED_FAULTS
    cert: str | tuple[str, str] | None = None
    verify: bool | str = True
    # The citizens of a concurrent step (TKB 2.0 §3.7.2: one slot, many at once); default: person, person2.
    concurrent_persons: tuple[str, ...] = ()
    concurrency: int | None = None  # how many of them book at once (default: all)

    @property
    def racers(self) -> tuple[str, ...]:
        persons = self.concurrent_persons or (self.person, self.person2)
        return persons[: self.concurrency] if self.concurrency else persons


@dataclass
class CheckResult:
    name: str  # scenario/step/check
    scenario: str
    step: str
    check: str
    rule: str
    status: str
    message: str
    automatic: bool = False


@dataclass
class StepResult:
    step: Step
    status: str  # "done", "n/a", "blocked", "skipped" (cleanup)
    reason: str = ""
    exchange: Exchange | None = None
    request: Any = None
    checks: list[CheckResult] = field(default_factory=list)
    lanes: list[Exchange] = field(default_factory=list)  # a concurrent step's exchanges, one per person

    @property
    def exchanges(self) -> list[Exchange]:
        return self.lanes or ([self.exchange] if self.exchange is not None else [])


@dataclass
class ScenarioResult:
    scenario: Scenario
    steps: list[StepResult] = field(default_factory=list)
    cleanup: list[StepResult] = field(default_factory=list)
    note: str = ""

    @property
    def checks(self) -> list[CheckResult]:
        return [r for s in self.steps for r in s.checks]


@dataclass
class RunResult:
    options: RunOptions
    scenarios: list[ScenarioResult]
    served: dict[str, tuple[bool | None, str]]
    probes: dict[str, Exchange]
    started: datetime
    seconds: float

    @property
    def checks(self) -> list[CheckResult]:
        return [r for s in self.scenarios for r in s.checks]

    @property
    def totals(self) -> Counter[str]:
        counts: Counter[str] = Counter({s: 0 for s in STATUSES})
        counts.update(r.status for r in self.checks)
        return counts

    @property
    def ok(self) -> bool:
        t = self.totals
        return t[FAIL] == 0 and t[BLOCKED] == 0

    def by_name(self) -> dict[str, CheckResult]:
        return {r.name: r for r in self.checks}


def check_person(pnr: str) -> str | None:
    """Why ``pnr`` is not a valid 12-digit personnummer/samordningsnummer, or None."""
    try:
        personal_identity.from_text(pnr)
    except personal_identity.InvalidPersonalIdentity as exc:
        return exc.reason
    return None


def build_variables(opts: RunOptions, now: Callable[[], str] = stockholm_now_ts
                    ) -> tuple[dict[str, Any], dict[str, Callable[[], Any]]]:
    today = stockholm_today()
    start = today + timedelta(days=opts.days_ahead)
    end = start + timedelta(days=max(opts.days, 1) - 1)

    def pid(pnr: str) -> dict[str, str]:
        return {"root": personal_identity.root_of(pnr), "extension": pnr}

    def actor(pnr: str) -> dict[str, Any]:
        return {"actorId": pid(pnr), "actorType": {"code": CITIZEN_ACTOR_CODE, "codeSystem": SNOMED_CT_OID}}

    values: dict[str, Any] = {
        "unit": opts.logical_address,
        "person": opts.person,
        "person2": opts.person2,
        "person_id": pid(opts.person),
        "person2_id": pid(opts.person2),
        "actor": actor(opts.person),
        "actor2": actor(opts.person2),
        # riv.crm.scheduling 1.1: the Actor SOAP header of the citizen (TKB crm:scheduling 1.1 §3.5)
        "crm_actor": {"actorId": opts.person, "actorType": "subject_of_care"},
        "crm_actor2": {"actorId": opts.person2, "actorType": "subject_of_care"},
        "today": today.strftime("%Y%m%d"),
        "search_from": start.strftime("%Y%m%d"),
        "search_to": end.strftime("%Y%m%d"),
        "time_type": opts.time_type,
        "unknown_id": str(uuid.uuid4()),
        "reason_text": DEFAULT_REASON,
        # HSA-ids compare case-insensitively (TKB 2.0 §3.3): the same unit, other letters.
        "unit_other_case": opts.logical_address.swapcase(),
        "concurrency": len(opts.racers),
        "concurrency_others": len(opts.racers) - 1,
    }
    # --var NAME= (empty) unsets a variable: an element whose whole value it is is left out.
    values.update({k: (v if v != "" else None) for k, v in opts.variables.items()})
    return values, {"now": now}


def raw_envelope(interaction: str, body: str, logical_address: str | None, extra_header: str = "") -> bytes:
    """A SOAP 1.1 envelope around a body written in a scenario (prefixes tns, core, itr, soapenv)."""
    i = contracts.interaction(interaction)
    address = (f"<itr:LogicalAddress>{xml_escape(logical_address)}</itr:LogicalAddress>"
               if logical_address is not None else "")
    header = f"<soapenv:Header>{address}{extra_header}</soapenv:Header>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{rules.SOAP11_NS}" xmlns:itr="{rules.LOGICAL_ADDRESS_NS}"'
        f' xmlns:tns="{i.responder_ns}" xmlns:core="{contracts.core_ns()}">{header}'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


class _Skip(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Runner:
    """Runs scenarios one after the other; ``progress`` gets every check result as it is made."""

    def __init__(self, options: RunOptions, progress: Callable[[CheckResult], None] | None = None) -> None:
        self.options = options
        self.progress = progress or (lambda _r: None)
        self.conn = Connection(options.base_url, options.timeout, options.cert, options.verify,
                               options.not_served_faults)
        self.served: dict[str, tuple[bool | None, str]] = {}
        self.probes: dict[str, Exchange] = {}
        # ${now}: Swedish local time when the current step's request was sent (a slot is "past"
        # relative to the search, not to the moment the check runs).
        self.sent_at = stockholm_now_ts()
        # The first exchange the producer did not answer, while it stays silent: later steps are
        # blocked by it instead of each failing on its own (one cause, counted once).
        self.down: str | None = None

    # -- which interactions are served --------------------------------------------------

    def _probe(self, name: str) -> Exchange:
        if name not in self.probes:
            self.probes[name] = self.conn.wsdl(name)
        return self.probes[name]

    def is_served(self, name: str) -> tuple[bool | None, str]:
        """(True/False/None = unknown, why)."""
        if name not in self.served:
            if not self.options.probe_wsdl:
                self.served[name] = (None, "not probed (--no-wsdl-probe)")
            else:
                self.served[name] = self._wsdl_verdict(self._probe(name))
        return self.served[name]

    @staticmethod
    def _wsdl_verdict(ex: Exchange) -> tuple[bool | None, str]:
        if not ex.answered:
            return None, ex.error
        root = ex.envelope()
        if ex.status == 200 and root is not None and root.tag == f"{{{rules.WSDL_NS}}}definitions":
            return True, f"GET {ex.url}: WSDL"
        return False, f"the WSDL is not retrievable: GET {ex.url} gave HTTP {ex.status}"

    def _mark_not_served(self, name: str, why: str) -> None:
        self.served[name] = (False, why)

    # -- running ------------------------------------------------------------------------

    def run(self, scenarios: list[Scenario]) -> RunResult:
        started = datetime.now().astimezone()
        t0 = time.monotonic()
        results = [self.run_scenario(s) for s in scenarios]
        self.conn.close()
        return RunResult(self.options, results, dict(self.served), dict(self.probes), started,
                         time.monotonic() - t0)

    def run_scenario(self, scenario: Scenario) -> ScenarioResult:
        result = ScenarioResult(scenario)
        self.sent_at = stockholm_now_ts()
        values, dynamic = build_variables(self.options, lambda: self.sent_at)
        for name in scenario.uses_vars:
            values.setdefault(name, None)
        for name in scenario.requires_vars:
            values.setdefault(name, None)
        ctx = Context(values, dynamic, step_names={s.id for s in scenario.steps + scenario.cleanup},
                      bind_owner=scenario.binds)

        skip = self._scenario_skip(scenario, values)
        if skip:
            result.note = skip
            for step in scenario.steps:
                result.steps.append(self._not_run(scenario, step, NA, skip, ctx))
            return result
        for step in scenario.steps:
            required = self._required_not_served(scenario)
            if required:
                result.steps.append(self._not_run(scenario, step, NA, required, ctx))
                continue
            result.steps.append(self._run_step(scenario, step, ctx))
        for step in scenario.cleanup:
            result.cleanup.append(self._run_cleanup(step, ctx))
        return result

    def _scenario_skip(self, scenario: Scenario, values: dict[str, Any]) -> str:
        if self.options.read_only and scenario.changes_data:
            return "this scenario changes data; skipped with --read-only"
        missing = [v for v in scenario.requires_vars if values.get(v) in (None, "")]
        if missing:
            return "needs " + ", ".join(f"--var {v}=<value>" for v in missing)
        return self._required_not_served(scenario)

    def _required_not_served(self, scenario: Scenario) -> str:
        for name in scenario.requires:
            served, why = self.is_served(name)
            if served is False:
                return f"the producer does not serve {name}, which this flow needs ({why})"
        return ""

    def _not_run(self, scenario: Scenario, step: Step, status: str, reason: str, ctx: Context,
                 exchange: Exchange | None = None, request: Any = None) -> StepResult:
        ctx.steps[step.id] = StepState(status, reason)
        result = StepResult(step, status, reason, exchange, request)
        for check_id in auto_check_ids(step):
            self._emit(result, scenario, step, check_id, self._auto_rule(step, check_id), status, reason, True)
        for check in step.checks:
            self._emit(result, scenario, step, check.id, check.rule, status, reason)
        return result

    def _emit(self, result: StepResult, scenario: Scenario, step: Step, check_id: str, rule: str,
              status: str, message: str, automatic: bool = False) -> None:
        r = CheckResult(f"{scenario.id}/{step.id}/{check_id}", scenario.id, step.id, check_id, rule,
                        status, message, automatic)
        result.checks.append(r)
        self.progress(r)

    @staticmethod
    def _auto_rule(step: Step, check_id: str) -> str:
        if check_id == "wsdl-address":
            return rules.wsdl_address_rule(step.interaction)
        if check_id == "wsdl-matches-contract":
            rule = rules.wsdl_rule(step.interaction)
            return f"{rule}; {rules.mandatory_rule(step.interaction)}" if step.mandatory else rule
        return {
            "schema-valid": rules.schema_rule,
            "namespaces": rules.namespace_rule,
            "result-code": rules.result_code_rule,
        }[check_id](step.interaction)

    @staticmethod
    def _unavailable(exc: StepUnavailable) -> _Skip:
        if exc.status == NA:
            return _Skip(NA, f"depends on step {exc.step!r}, which was not applicable ({exc.reason})")
        return _Skip(BLOCKED, f"not run: depends on step {exc.step!r}, which did not run ({exc.reason})")

    def _prepare(self, step: Step, ctx: Context) -> tuple[str | None, Any]:
        """(LogicalAddress, request) for a step; raises _Skip."""
        try:
            if step.when is not None and not ctx.condition(step.when, strict=not step.cleanup):
                raise _Skip(NA, f"does not apply: the condition {step.when!r} is not met")
            la = None if step.logical_address is False else ctx.substitute(step.logical_address)
            if step.kind == "call":
                return la, ctx.substitute(step.request)
            if step.kind == "raw":
                if step.data is not None:
                    return la, ctx.interpolate(step.data)
                body = ctx.interpolate(step.body or "", escape=xml_escape)
                return la, (body, ctx.interpolate(step.header or "", escape=xml_escape))
            return la, None
        except StepUnavailable as exc:
            raise self._unavailable(exc) from None
        except Unresolved as exc:
            raise _Skip(BLOCKED, f"not run: {exc}") from None

    def _exchange(self, step: Step, la: str | None, request: Any) -> Exchange:
        self.sent_at = stockholm_now_ts()
        if step.kind == "call":
            return self.conn.call(step.interaction, la, request)
        if step.kind == "raw":
            data = request.encode() if step.data is not None else raw_envelope(step.interaction, request[0], la,
                                                                                 request[1])
            return self.conn.raw(step.interaction, data, step.content_type)
        return self._probe(step.interaction)

    def _still_down(self) -> bool:
        """Whether the producer is still silent (one cheap GET of a mandatory WSDL to find out)."""
        if self.down is None:
            return False
        if self.conn.wsdl("GetAppointments", min(self.options.timeout, 5.0)).answered:
            self.down = None
        return self.down is not None

    def _run_step(self, scenario: Scenario, step: Step, ctx: Context) -> StepResult:
        if self._still_down():
            return self._not_run(scenario, step, BLOCKED, f"not run: the producer stopped answering at {self.down}",
                                 ctx)
        if step.kind != "wsdl":
            served, why = self.is_served(step.interaction)
            if served is False:
                return self._not_run(scenario, step, NA, f"the producer does not serve {step.interaction} ({why})",
                                     ctx)
        if step.concurrent:
            return self._concurrent_step(scenario, step, ctx)
        try:
            la, request = self._prepare(step, ctx)
        except _Skip as skip:
            return self._not_run(scenario, step, skip.status, skip.reason, ctx)
        ex = self._exchange(step, la, request)
        if ex.error and not ex.sent:
            return self._not_run(scenario, step, BLOCKED, f"not run: {ex.error}", ctx, ex, request)
        if not ex.answered:
            self.down = f"{scenario.id}/{step.id} ({ex.error or 'no answer'})"
        if step.kind == "wsdl":
            return self._wsdl_step(scenario, step, ctx, ex)
        not_served = self.conn.not_served(ex)
        if not_served:
            self._mark_not_served(step.interaction, not_served)
            return self._not_run(scenario, step, NA, f"the producer does not serve {step.interaction} ({not_served})",
                                 ctx, ex, request)
        if step.kind == "call" and self.served.get(step.interaction, (None, ""))[0] is None and ex.answered:
            self.served[step.interaction] = (True, f"answered a call at {ex.url}")
        payload = ex.payload(step.interaction)
        ctx.steps[step.id] = StepState("done", request=request, payload=payload)
        for name, path in step.bind.items():
            ctx.bind(name, payload, path)
        result = StepResult(step, "done", "", ex, request)
        for check_id in auto_check_ids(step):
            verdict = {
                "schema-valid": c.schema_valid,
                "namespaces": c.namespaces,
                "result-code": c.result_code,
            }[check_id](step.interaction, ex)
            self._emit(result, scenario, step, check_id, self._auto_rule(step, check_id), verdict.status,
                       verdict.message, True)
        for check in step.checks:
            status, message = self._declared(check, ex, payload, ctx)
            self._emit(result, scenario, step, check.id, check.rule, status, message)
        return result

    # -- a step sent at once by several persons --------------------------------------------

    def _lane(self, ctx: Context, i: int, pnr: str) -> Context:
        """The context of person ``pnr``: ${person}, ${person_id} and ${actor} are theirs, and a
        reference to an earlier concurrent step reads this person's own answer."""
        values = dict(ctx.variables)
        values.update({"person": pnr, "person_id": {"root": personal_identity.root_of(pnr), "extension": pnr},
                       "actor": {"actorId": {"root": personal_identity.root_of(pnr), "extension": pnr},
                                 "actorType": {"code": CITIZEN_ACTOR_CODE, "codeSystem": SNOMED_CT_OID}}})
        steps = dict(ctx.steps)
        steps.update({sid: lanes[i] for sid, lanes in ctx.lanes.items() if i < len(lanes)})
        return replace(ctx, variables=values, steps=steps)

    def _concurrent_requests(self, step: Step, ctx: Context) -> list[tuple[str | None, Any]]:
        prepared = []
        for i, pnr in enumerate(self.options.racers):
            prepared.append(self._prepare(step, self._lane(ctx, i, pnr)))
        return prepared

    def _concurrent_step(self, scenario: Scenario, step: Step, ctx: Context) -> StepResult:
        try:
            prepared = self._concurrent_requests(step, ctx)
        except _Skip as skip:
            return self._not_run(scenario, step, skip.status, skip.reason, ctx)
        self.sent_at = stockholm_now_ts()
        lanes = self.conn.concurrent(step.interaction, prepared)
        if any(not ex.answered for ex in lanes):
            first = next(ex for ex in lanes if not ex.answered)
            self.down = f"{scenario.id}/{step.id} ({first.error or 'no answer'})"
        # The answers side by side under one element: a path such as MakeAppointmentResponse.resultCode
        # reads them all; ${step.x} in a later concurrent step reads the same person's answer.
        combined = etree.Element("{urn:riv-scheduling:conformance}concurrent")
        states = []
        for (_la, request), ex in zip(prepared, lanes, strict=True):
            payload = ex.payload(step.interaction)
            states.append(StepState("done", request=request, payload=payload))
            combined.append(copy.deepcopy(payload) if payload is not None else etree.Element("noResponse"))
        ctx.lanes[step.id] = states
        ctx.steps[step.id] = StepState("done", request=[r for _la, r in prepared], payload=combined)
        result = StepResult(step, "done", "", lanes[0], prepared[0][1], lanes=lanes)
        checks = {"schema-valid": c.schema_valid, "namespaces": c.namespaces, "result-code": c.result_code}
        for check_id in auto_check_ids(step):
            verdicts = [checks[check_id](step.interaction, ex) for ex in lanes]
            bad = [f"person {n + 1} of {len(lanes)}: {v.message}" for n, v in enumerate(verdicts) if v.status != PASS]
            status = FAIL if bad else PASS
            distinct = list(dict.fromkeys(v.message for v in verdicts))
            message = "; ".join(bad) if bad else f"all {len(lanes)} answers pass: " + "; ".join(distinct[:4])
            self._emit(result, scenario, step, check_id, self._auto_rule(step, check_id), status, message, True)
        for check in step.checks:
            status, message = self._declared(check, lanes[0], combined, ctx)
            self._emit(result, scenario, step, check.id, check.rule, status, message)
        return result

    def _declared(self, check: Any, ex: Exchange, payload: Any, ctx: Context) -> tuple[str, str]:
        try:
            if check.when is not None and not ctx.condition(check.when):
                return NA, f"does not apply here: the condition {check.when!r} is not met"
            if check.assertion == "same_as":
                earlier = ctx.steps.get(check.expected)
                if earlier is None or earlier.status != "done":
                    status = earlier.status if earlier is not None else BLOCKED
                    raise StepUnavailable(check.expected, status, earlier.reason if earlier else "has not run")
                expected: Any = [text_of(n) for n in select(earlier.payload, parse_path(check.value))]
            else:
                expected = ctx.substitute(check.expected)
        except StepUnavailable as exc:
            skip = self._unavailable(exc)
            return skip.status, skip.reason
        except Unresolved as exc:
            return BLOCKED, f"cannot be evaluated: {exc}"
        verdict = c.assertion(check, ex, payload, expected)
        return verdict.status, verdict.message

    def _wsdl_step(self, scenario: Scenario, step: Step, ctx: Context, ex: Exchange) -> StepResult:
        served, why = self._wsdl_verdict(ex)
        if served is not None and self.served.get(step.interaction, (None, ""))[0] is None:
            self.served[step.interaction] = (served, why)
        if served is False and not step.mandatory:
            return self._not_run(scenario, step, NA, f"the producer does not serve {step.interaction} ({why})",
                                 ctx, ex)
        ctx.steps[step.id] = StepState("done", payload=ex.envelope())
        result = StepResult(step, "done", "", ex)
        verdict = c.wsdl_matches(step.interaction, ex)
        message = verdict.message
        if served is False:
            message = f"{step.interaction} is mandatory for every producer, but {why}"
        self._emit(result, scenario, step, "wsdl-matches-contract", self._auto_rule(step, "wsdl-matches-contract"),
                   verdict.status, message, True)
        if served is False:  # one cause, reported once: the address cannot be read without a WSDL
            self._emit(result, scenario, step, "wsdl-address", self._auto_rule(step, "wsdl-address"), BLOCKED,
                       f"not run: no WSDL to read the address from ({why})", True)
            return result
        address = c.wsdl_address(step.interaction, ex)
        self._emit(result, scenario, step, "wsdl-address", self._auto_rule(step, "wsdl-address"),
                   address.status, address.message, True)
        return result

    def _run_cleanup(self, step: Step, ctx: Context) -> StepResult:
        served, why = self.is_served(step.interaction)
        if served is False:
            return StepResult(step, "skipped", f"the producer does not serve {step.interaction}")
        if self._still_down():
            return StepResult(step, "skipped", f"the producer stopped answering at {self.down}")
        if step.concurrent:
            # Each person undoes their own part; a person whose reference finds nothing has none.
            done = []
            for i, pnr in enumerate(self.options.racers):
                try:
                    done.append(self._prepare(step, self._lane(ctx, i, pnr)))
                except _Skip:
                    continue
            lanes = self.conn.concurrent(step.interaction, done) if done else []
            return StepResult(step, "done" if lanes else "skipped", "", lanes[0] if lanes else None, lanes=lanes)
        try:
            la, request = self._prepare(step, ctx)
        except _Skip as skip:
            return StepResult(step, "skipped", skip.reason)
        ex = self._exchange(step, la, request)
        ctx.steps[step.id] = StepState("done", request=request, payload=ex.payload(step.interaction))
        return StepResult(step, "done", "", ex, request)
