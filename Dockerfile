# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 INSTANCE_PATH=/app/instance
WORKDIR /app
COPY pyproject.toml ./
COPY engine ./engine
COPY web ./web
COPY workers ./workers
COPY bpmn ./bpmn
COPY forms ./forms
COPY migrations ./migrations
RUN pip install . && useradd --create-home atencion && mkdir -p /app/instance \
    && chown atencion /app/instance
USER atencion
EXPOSE 8000
CMD ["gunicorn", "-c", "python:web.ops.gunicorn_conf", "--bind", "0.0.0.0:8000", "--workers", "3", "web:create_app()"]
