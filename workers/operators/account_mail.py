"""E-mails about an account (no case): verifying the address at registration, telling a
document's holder that someone tried to register with it, a password reset link. Sent once per key.

Parameters: ``plantilla``, ``para`` (the one address), ``nombre`` and what the template
shows (``enlace``, ``ingreso``, ``horas``, ``minutos``); ``pie_ciudadano`` when the
recipient is a citizen (the portal footer).
"""

from typing import Any

from workers.errors import PermanentFailure
from workers.jobs import Job
from workers.mail import outgoing
from workers.operators.notify import Plan

TEMPLATES = {
    "verificar_correo",
    "registro_existente",
    "restablecer_clave",
    "clave_funcionario",
}


def prepare(job: Job) -> Plan:
    template = str(job.params.get("plantilla") or "")
    recipient = str(job.params.get("para") or "").strip()
    if template not in TEMPLATES:
        raise PermanentFailure(f"«{template}» no es un correo de cuentas.")
    if not recipient:
        raise PermanentFailure("El correo de la cuenta no indica el destinatario.")
    context = {k: v for k, v in job.params.items() if k not in {"plantilla", "para"}}
    return Plan(template, [recipient], context)


def perform(job: Job, plan: Plan) -> dict[str, Any]:
    sent = outgoing.send(job, plan.template, plan.context, plan.recipients)
    # The result is stored with the outbox row: no link in it.
    return {"enviado": True, "plantilla": plan.template, "reenvio_evitado": not sent.now}
