#!/usr/bin/env bash
# The pod's start script (`docs/lifecycle.md`, "The pod worker protocol"): model weights from the cache, else S3/MinIO,
# else HuggingFace; vLLM in the background logging to $VLLM_LOG_FILE; the pod worker in the foreground.
# No `set -e` on purpose: when vLLM cannot start, the worker must still come up and serve /logs, where the
# orchestrator reads vLLM's fatal markers (CUDA, NCCL, engine core) and swaps the pod.

MODEL_ID="${MODEL_ID:-Qwen/Qwen3-8B}"
export HF_HOME="${HF_HOME:-/models/huggingface}"
export VLLM_LOG_FILE="${VLLM_LOG_FILE:-/tmp/vllm.log}"
CACHE_DIR="$HF_HOME/models--${MODEL_ID%%/*}--${MODEL_ID##*/}"

mkdir -p "$HF_HOME" "$(dirname "$VLLM_LOG_FILE")"
{
  echo "start.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): model $MODEL_ID, cache $CACHE_DIR"
  echo "--- $HF_HOME"
  ls -la "$HF_HOME"
} > "$VLLM_LOG_FILE" 2>&1

log() { echo "start.sh: $*" >> "$VLLM_LOG_FILE"; }

have_weights() {
  compgen -G "$CACHE_DIR/snapshots/*/model-*.safetensors" > /dev/null ||
    compgen -G "$CACHE_DIR/snapshots/*/model.safetensors" > /dev/null
}

if have_weights; then
  log "weights found in the cache"
elif [ -z "$MINIO_ENDPOINT" ] || [ -z "$MINIO_ACCESS_KEY" ] || [ -z "$MINIO_SECRET_KEY" ]; then
  log "no cached weights and no complete MINIO_* settings: vLLM downloads $MODEL_ID from HuggingFace"
else
  # A partial cache from an interrupted copy would make vLLM fail later; start clean.
  rm -rf "$CACHE_DIR"
  scheme="http"
  if [ "$MINIO_SECURE" = "true" ]; then scheme="https"; fi
  log "copying weights from s3://${MINIO_BUCKET:-simswarm}/models/hf-cache/ at $scheme://$MINIO_ENDPOINT"
  AWS_ACCESS_KEY_ID="$MINIO_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$MINIO_SECRET_KEY" \
    s5cmd --endpoint-url "$scheme://$MINIO_ENDPOINT" cp -c 16 "s3://${MINIO_BUCKET:-simswarm}/models/hf-cache/*" "$HF_HOME/" \
    >> "$VLLM_LOG_FILE" 2>&1 || log "s5cmd failed (exit $?): vLLM downloads $MODEL_ID from HuggingFace"
fi

MODEL_ARG="$MODEL_ID"
SNAPSHOT="$(ls -d "$CACHE_DIR"/snapshots/*/ 2> /dev/null | head -n 1)"
if [ -n "$SNAPSHOT" ] && [ -f "$SNAPSHOT/config.json" ]; then
  MODEL_ARG="${SNAPSHOT%/}"
  { echo "--- $MODEL_ARG"; ls -la "$MODEL_ARG"; } >> "$VLLM_LOG_FILE" 2>&1
fi

log "starting vLLM: --model $MODEL_ARG --served-model-name $MODEL_ID $VLLM_ARGS"
# Without the worker's secret: vLLM has no use for it, and its port is public on RunPod's proxy too.
# shellcheck disable=SC2086 # VLLM_ARGS is a list of flags
env -u POD_WORKER_SECRET python3 -m vllm.entrypoints.openai.api_server \
  --model "$MODEL_ARG" --served-model-name "$MODEL_ID" \
  --host 0.0.0.0 --port 8000 --download-dir "$HF_HOME" $VLLM_ARGS \
  >> "$VLLM_LOG_FILE" 2>&1 &

export LLM_BASE_URL="${LLM_BASE_URL:-http://127.0.0.1:8000/v1}"
export LLM_MODEL_NAME="${LLM_MODEL_NAME:-$MODEL_ID}"
cd "${FISHCLOUD_DIR:-/app/fishcloud}" || exit 1
# exec: the worker receives the container's SIGTERM and stops cleanly, and when it stops by itself (its dead-man's
# switch, POD_IDLE_TIMEOUT) the container's main process ends with it.
exec node src/pod-worker/main.ts
