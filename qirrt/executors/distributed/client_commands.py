"""The broker's answers to clients: SUBMIT, STATUS, RESULT, CANCEL, SESSION, RESERVE, WORKERS, PLAN.

Majordomo style: a table from command to handler, each `(self, identity, user, body, now)`. Every
message has passed its schema before it gets here; a handler that refuses raises `Refused` (the
message's changes are rolled back and the client gets a failed REPLY with the reason). A job is only
ever shown to, waited on, or cancelled by the user who submitted it (`_owned`).
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from qirrt.errors import ExecutionError
from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed.admission import Refused
from qirrt.executors.distributed.split import (
    lane_to_dict,
    lanes_from_workers,
    plan_batch,
)
from qirrt.executors.distributed.store import DONE, FINAL_STATES, QUEUED, StoreError


def outcome(row) -> dict:
    """What a client is told about a finished job."""
    data = {"id": row.id, "state": row.state}
    if row.state == DONE:
        data["result"] = P.unpack(row.result)
    else:
        data["error"] = row.error
    return data


def session_summary(row: tuple, jobs: list[tuple], currency: str | None = None) -> dict:
    """A session (its store row) with its jobs by state and the total of what its finished jobs cost
    (their `metadata["cost"]`); `jobs` are (state, packed result) pairs, `currency` the price table's."""
    states: dict[str, int] = {}
    total, by_lane, seen_currency = 0.0, {}, None
    for state, packed in jobs:
        states[state] = states.get(state, 0) + 1
        if state != DONE or packed is None:
            continue
        result = P.unpack(packed)
        metadata = result.get("metadata") if isinstance(result, dict) else None
        cost = metadata.get("cost") if isinstance(metadata, dict) else None
        if isinstance(cost, dict) and isinstance(cost.get("total"), (int, float)):
            total += cost["total"]
            lane = str(metadata.get("lane"))
            by_lane[lane] = by_lane.get(lane, 0.0) + cost["total"]
            seen_currency = cost.get("currency", seen_currency)
    return {"session": row[0], "state": row[4], "opened_at": row[2], "expires_at": row[3],
            "jobs": sum(states.values()), "states": states, "cost": round(total, 12),
            "cost_by_lane": {k: round(v, 12) for k, v in sorted(by_lane.items())},
            "currency": seen_currency or currency}


class ClientCommands:
    """The client half of `broker`'s protocol."""

    def __init__(self, broker, *, default_max_attempts: int, max_session_s: float):
        self.broker = broker
        self.default_max_attempts = default_max_attempts
        self.max_session_s = max_session_s
        self._commands = {P.C_SUBMIT: ClientCommands._on_submit, P.C_STATUS: ClientCommands._on_status,
                          P.C_RESULT: ClientCommands._on_result, P.C_CANCEL: ClientCommands._on_cancel,
                          P.C_SESSION: ClientCommands._on_session, P.C_RESERVE: ClientCommands._on_reserve,
                          P.C_WORKERS: ClientCommands._on_workers, P.C_PLAN: ClientCommands._on_plan}

    def handle(self, identity: bytes, user: str, message: P.Message) -> None:
        handler = self._commands.get(message.command)
        if handler is None:
            raise P.ProtocolError(f"unexpected client command {message.name}")
        handler(self, identity, user, message.body, self.broker.clock())

    def _owned(self, job_id: str, user: str):
        store = self.broker.store
        row = store.get(job_id) if P.JOB_ID.match(job_id) else None
        return row if row is not None and row.user == user else None

    def _wait(self, job_id: str, identity: bytes, req: int) -> None:
        waiters = self.broker.waiters
        waiters[job_id] = [w for w in waiters[job_id] if w[0] != identity] + [(identity, req)]  # a resend replaces

    # -- the commands -----------------------------------------------------------------------------
    def _on_status(self, identity: bytes, user: str, body: dict, now: float) -> None:
        self.broker.reply(identity, body["req"], True, [self._status(job_id, user, now) for job_id in body["jobs"]])

    def _on_result(self, identity: bytes, user: str, body: dict, now: float) -> None:
        b, job_id, req = self.broker, body["job"], body["req"]
        owner = b.store.owner_state(job_id) if P.JOB_ID.match(job_id) else None
        row = self._owned(job_id, user) if owner is not None and owner[1] in FINAL_STATES else None
        if owner is None or owner[0] != user or (owner[1] in FINAL_STATES and row is None):
            b.reply(identity, req, False, error=f"no job {job_id} of yours")
        elif row is not None:
            b.reply(identity, req, True, outcome(row))
        elif body.get("wait"):
            self._wait(job_id, identity, req)
        else:
            b.reply(identity, req, True, {"id": job_id, "state": owner[1]})

    def _on_cancel(self, identity: bytes, user: str, body: dict, now: float) -> None:
        b, req = self.broker, body["req"]
        row = self._owned(body["job"], user)
        if row is None:
            b.reply(identity, req, False, error=f"no job {body['job']} of yours")
        elif row.state in FINAL_STATES:
            b.reply(identity, req, True, {"id": row.id, "state": row.state, "cancelled": False})
        else:
            b.leases.cancel(row.id, "cancelled by its owner")
            b.reply(identity, req, True, {"id": row.id, "state": "cancelled", "cancelled": True})

    def _on_session(self, identity: bytes, user: str, body: dict, now: float) -> None:
        b, req = self.broker, body["req"]
        if body["op"] == "open":
            limit = body.get("time_limit_s") or self.max_session_s
            limit = min(float(limit), self.max_session_s)
            session_id = uuid.uuid4().hex
            b.store.open_session(session_id, user, now, now + limit)
            b.reply(identity, req, True, {"session": session_id, "expires_at": now + limit})
            return
        row = b.store.session(body.get("session") or "")
        if row is None or row[1] != user:
            raise Refused("no such session of yours")
        if body["op"] == "summary":
            b.reply(identity, req, True, self._session_summary(row))
            return
        b.store.close_session(row[0])
        b.reply(identity, req, True, {"session": row[0]})

    def _session_summary(self, row) -> dict:
        prices = self.broker.prices
        return session_summary(row, self.broker.store.session_jobs(row[0]),
                               None if prices is None else prices.currency)

    def _on_reserve(self, identity: bytes, user: str, body: dict, now: float) -> None:
        b = self.broker
        name, start, end = body["worker"], body["start"], body["end"]
        b.scheduler.check_reservation(user, name, start, end)
        b.store.add_reservation(name, user, start, end)
        b.scheduler.reservations.append((name, user, start, end))
        b.reply(identity, body["req"], True, {"worker": name})

    def _on_workers(self, identity: bytes, user: str, body: dict, now: float) -> None:
        """The registered workers: name, lane, capabilities, slots, jobs running, observed speed and
        seconds since the broker last heard from each."""
        rows = self._worker_rows()
        if body.get("prices"):
            prices = self.broker.prices
            rows = {"workers": rows, "prices": None if prices is None else prices.to_dict()}
        self.broker.reply(identity, body["req"], True, rows)

    def _worker_rows(self) -> list[dict]:
        b = self.broker
        lifetime_s, mono = b.heartbeat_interval_s * b.heartbeat_liveness, b.clocks.mono()
        return [{"name": w.name, "lane": w.capabilities.get("lane") or f"simulator:{w.name}",
                 "lane_kind": w.capabilities.get("lane_kind") or "simulator", "slots": w.slots,
                 "running": len(w.running), "speed": w.speed, "capabilities": w.capabilities,
                 "heard_s_ago": max(0.0, round(lifetime_s - (w.expiry - mono), 6))}
                for w in list(b.workers.values())]

    def _on_plan(self, identity: bytes, user: str, body: dict, now: float) -> None:
        """Divide a batch between the lanes that can run it, from the broker's own view: the workers
        registered now, their observed speeds, and the lane-bound work already queued."""
        requires = P.plain(body["requires"]) if body.get("requires") is not None else {}
        queue = self.broker.scheduler.queue
        lanes = lanes_from_workers(self._worker_rows(), lambda caps: queue.accepts(requires, caps, now=now))
        if not lanes:
            raise Refused(f"no registered worker meets {requires or 'the batch'}; start a worker (qirrt worker "
                          f"--executor local, or --adapter emulated:FakeKolkata) or relax requires")
        lanes = [replace(lane, queue_eta_s=lane.queue_eta_s + queue.queued_seconds(lane.name) * lane.speed
                         / max(1, lane.slots)) for lane in lanes]
        try:
            plan, durations = plan_batch(body["items"], lanes, body["strategy"])
        except ExecutionError as exc:
            raise Refused(str(exc)) from None
        self.broker.reply(identity, body["req"], True, {
            "lanes": [lane_to_dict(lane) for lane in lanes], "assignment": plan.assignment,
            "durations": durations, "finish_s": plan.finish_s, "makespan_s": plan.makespan_s})

    def _check_mitigation(self, specs: list[dict]) -> None:
        """A job may ask for a mitigation a worker advertises; one that none does is refused, not queued for ever."""
        offered = {str(m).lower() for w in self.broker.workers.values() for m in w.capabilities.get("mitigation", ())}
        for spec in specs:
            wanted = {str(m).lower() for m in ((spec.get("requires") or {}).get("mitigation") or ())}
            if wanted - offered:
                raise Refused(f"job {spec['id']} requires mitigation {', '.join(sorted(wanted - offered))}, which no "
                              f"registered worker advertises; mitigation runs on the client: "
                              f"qirrt.run(program, executor=cluster, mitigation=...)")

    def _on_submit(self, identity: bytes, user: str, body: dict, now: float) -> None:
        wait = bool(body.get("wait"))
        jobs = body["jobs"]
        if wait and len(jobs) != 1:
            raise P.ProtocolError("SUBMIT with wait carries exactly one job")
        specs = [P.check_job_spec(spec) for spec in jobs]  # all checked before anything changes
        self._check_mitigation(specs)
        if len({spec["id"] for spec in specs}) != len(specs):
            raise P.ProtocolError("SUBMIT names the same job id twice")
        owners = self._owners(specs, user)
        packed = {spec["id"]: P.pack(spec) for spec in specs if owners[spec["id"]] is None}
        self.broker.scheduler.admit(user, jobs=len(specs), new_jobs=len(packed),
                                    new_bytes=sum(map(len, packed.values())), now=now)
        try:
            ids, created = self._add(specs, owners, packed, user, now)
        except StoreError as exc:
            raise Refused(str(exc)) from None
        self._answer_submit(identity, body["req"], ids, created, wait)

    def _owners(self, specs: list[dict], user: str) -> dict:
        """Each job id's (owner, state) when it is already stored; refuses another user's id or a session
        that is not an open one of `user`'s."""
        store, owners = self.broker.store, {}
        for spec in specs:
            existing = owners[spec["id"]] = store.owner_state(spec["id"])
            if existing is not None and existing[0] != user:
                raise Refused(f"job id {spec['id']} is taken; submit with a fresh id")
            session = spec.get("session")
            if session is not None:
                row = store.session(session)
                if row is None or row[1] != user or row[4] != "open":
                    raise Refused(f"session {session} is not an open session of yours")
        return owners

    def _add(self, specs: list[dict], owners: dict, packed: dict, user: str, now: float) -> tuple[list, bool]:
        b, scheduler = self.broker, self.broker.scheduler
        ids, created = [], False
        for spec in specs:
            owner = owners[spec["id"]]
            # Nothing queued and a worker free: insert the job already running there (one statement,
            # no queue round trip), just as this turn's dispatch would have started it.
            worker = None
            if owner is None and not scheduler.queue:
                worker = scheduler.free_worker_for(b.workers.values(), user, spec, now)
            row, created = b.store.add_job(spec, user=user, now=now, owner=owner,
                                           default_max_attempts=self.default_max_attempts,
                                           start_on=None if worker is None else worker.name,
                                           packed=packed.get(spec["id"]))
            if created:
                if worker is None:
                    scheduler.enqueue(row.id, user, spec, 0.0, None, size=len(packed[spec["id"]]))
                else:
                    b.leases.run_on(worker, row.id, 1, user, spec, now, None)
            ids.append(row.id)
        b.stats["submitted"] += len(ids)
        return ids, created

    def _answer_submit(self, identity: bytes, req: int, ids: list, created: bool, wait: bool) -> None:
        b = self.broker
        if not wait:
            b.reply(identity, req, True, {"ids": ids})
            return
        # Submit-and-wait: the one reply is the job's outcome (a resubmission of a finished job gets it now).
        row = None if created else b.store.get(ids[0])
        if row is not None and row.state in FINAL_STATES:
            b.reply(identity, req, True, outcome(row))
        else:
            self._wait(ids[0], identity, req)

    def _status(self, job_id: str, user: str, now: float) -> dict:
        b = self.broker
        row = self._owned(job_id, user)
        if row is None:
            return {"id": job_id, "state": "unknown", "error": "no such job of yours"}
        data = row.public()
        running = b.leases.running.get(row.id)
        worker = None if running is None else b.workers.get(running.worker)
        data["eta_s"] = b.scheduler.eta_s(row, b.workers.values(), 1.0 if worker is None else worker.speed, now)
        if row.state == QUEUED:
            data["position"] = b.scheduler.position(job_id)
        return data
