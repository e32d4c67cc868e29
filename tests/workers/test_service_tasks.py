"""A case's service tasks run in a real worker process and the case advances."""

import re

from tests.workers.harness import wait_for


def test_filing_sends_the_acknowledgement_once_from_the_worker(stack, desk):
    stack.worker.start()
    case = desk.file_case()

    acuse = wait_for(lambda: stack.smtp.with_subject(case.radicado), what="the acuse e-mail")
    wait_for(lambda: desk.outbox(status="done"), what="the outbox row to be done")

    assert len(acuse) == 1
    message = acuse[0]
    assert message["To"] == "maria.gomez@example.com"
    assert "Radicamos su reclamo" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert case.radicado in body and "días hábiles" in body
    # The citizen's e-mail links to the case in the portal and gives the look-up code.
    assert f"http://127.0.0.1:5000/mis-casos/{case.radicado}" in body
    assert re.search(r"código de consulta: [A-Z0-9]{4}-[A-Z0-9]{4}", body)
    assert message.get_body(preferencelist=("html",)) is not None
    assert message["Message-ID"].endswith("@icetex.test>")


def test_the_legacy_lookup_result_reaches_the_asesor(stack, desk):
    stack.worker.start()
    case = desk.file_case()
    desk.complete(case.id, "ut_5_2_6", "asesor", es_felicitacion=False)
    desk.complete(case.id, "ut_5_2_7", "asesor", complejidad="media", analisis="Revisar pagos.")

    wait_for(lambda: "ut_5_2_8" in desk.open_tasks(case.id), what="5.2.8 to open")
    lookup = desk.outbox(operation="legacy_lookup")[0]
    assert lookup.status == "done"

    asesor = desk.user("asesor")

    def task_data(engine, session):
        from tests import factories as f

        task = f.open_task(session, case.id, "ut_5_2_8")
        return engine.task_view(task.id, asesor).data

    data = desk.act(task_data)
    result = data["consulta_legado"]
    assert result["fuente"] == "demo"
    credits = result["sistemas"]["cctex"]["creditos"]
    assert credits and credits[0]["linea"]
    assert "C&CTEX" in result["resumen"]
