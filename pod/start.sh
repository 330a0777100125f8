#!/usr/bin/env bash
# The pod's start script (`docs/lifecycle.md`, "The pod worker protocol"; pod/README.md). The model's weights come
# from, in order: a HuggingFace cache already on the pod ($HF_HOME), the operator's weights cache in the object store
# (WEIGHTS_CACHE_URLS: presigned GET URLs the service hands each pod, `layers/pods/pod-env.ts`), the HuggingFace hub
# with HF_TOKEN, the public hub. Fetching them and vLLM run in the background, logging to $VLLM_LOG_FILE; the pod
# worker runs in the foreground from the start, so /logs shows the boot while it happens.
# No `set -e` on purpose: when the weights or vLLM fail, the worker must still come up and serve /logs, where the
# orchestrator reads vLLM's fatal markers (CUDA, NCCL, engine core) and swaps the pod.
# Never log WEIGHTS_CACHE_URLS or HF_TOKEN: a presigned URL and a token are credentials, and /logs is served.

MODEL_ID="${MODEL_ID:-Qwen/Qwen3-8B}"
export HF_HOME="${HF_HOME:-/models/huggingface}"
export VLLM_LOG_FILE="${VLLM_LOG_FILE:-/tmp/vllm.log}"
CACHE_DIR="$HF_HOME/models--${MODEL_ID%%/*}--${MODEL_ID##*/}"
WEIGHTS_DIR="${WEIGHTS_DIR:-/models/weights}/$MODEL_ID"

mkdir -p "$HF_HOME" "$(dirname "$VLLM_LOG_FILE")"
{
  echo "start.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): model $MODEL_ID, cache $CACHE_DIR"
  echo "--- $HF_HOME"
  ls -la "$HF_HOME"
} > "$VLLM_LOG_FILE" 2>&1

log() { echo "start.sh: $*" >> "$VLLM_LOG_FILE"; }

have_hf_cache() {
  compgen -G "$CACHE_DIR/snapshots/*/model-*.safetensors" > /dev/null ||
    compgen -G "$CACHE_DIR/snapshots/*/model.safetensors" > /dev/null
}

# WEIGHTS_CACHE_URLS holds one line per file: `relative-path size url`. Every file must arrive whole (its size
# checked) and config.json be among them, else the partial copy is removed and the hub is next.
fetch_cached_weights() {
  local count=0 path size url actual code
  rm -rf "$WEIGHTS_DIR"
  mkdir -p "$WEIGHTS_DIR"
  while read -r path size url; do
    [ -n "$path" ] || continue
    case "$path" in
      /* | *..*) log "weights cache: refusing the path $path"; return 1 ;;
    esac
    mkdir -p "$(dirname "$WEIGHTS_DIR/$path")"
    curl -fsS --retry 3 --retry-delay 2 -o "$WEIGHTS_DIR/$path" "$url" 2>> "$VLLM_LOG_FILE"
    code=$?
    if [ "$code" -ne 0 ]; then
      log "weights cache: $path could not be fetched (curl exit $code)"
      return 1
    fi
    actual="$(stat -c %s "$WEIGHTS_DIR/$path" 2> /dev/null)"
    if [ "$actual" != "$size" ]; then
      log "weights cache: $path has ${actual:-no} bytes, expected $size"
      return 1
    fi
    count=$((count + 1))
  done <<< "$WEIGHTS_CACHE_URLS"
  if [ ! -f "$WEIGHTS_DIR/config.json" ]; then
    log "weights cache: no config.json among the $count files"
    return 1
  fi
  log "weights cache: $count files fetched into $WEIGHTS_DIR"
}

boot_vllm() {
  local model_arg="$MODEL_ID" source snapshot
  if have_hf_cache; then
    source="the HuggingFace cache on the pod"
    snapshot="$(ls -d "$CACHE_DIR"/snapshots/*/ 2> /dev/null | head -n 1)"
    if [ -n "$snapshot" ] && [ -f "$snapshot/config.json" ]; then
      model_arg="${snapshot%/}"
      { echo "--- $model_arg"; ls -la "$model_arg"; } >> "$VLLM_LOG_FILE" 2>&1
    fi
  elif [ -n "$WEIGHTS_CACHE_URLS" ] && fetch_cached_weights; then
    source="the weights cache"
    model_arg="$WEIGHTS_DIR"
  else
    if [ -n "$WEIGHTS_CACHE_URLS" ]; then rm -rf "$WEIGHTS_DIR"; fi
    if [ -n "$HF_TOKEN" ]; then
      source="the HuggingFace hub with HF_TOKEN"
    else
      source="the public HuggingFace hub (no HF_TOKEN)"
    fi
  fi
  log "weights source: $source"
  log "starting vLLM: --model $model_arg --served-model-name $MODEL_ID $VLLM_ARGS"
  # Without the worker's secret or the cache's URLs: vLLM has no use for them, and its port is public on RunPod's
  # proxy too. HF_TOKEN stays: vLLM's download from the hub reads it.
  # shellcheck disable=SC2086 # VLLM_ARGS is a list of flags
  env -u POD_WORKER_SECRET -u WEIGHTS_CACHE_URLS python3 -m vllm.entrypoints.openai.api_server \
    --model "$model_arg" --served-model-name "$MODEL_ID" \
    --host 0.0.0.0 --port 8000 --download-dir "$HF_HOME" $VLLM_ARGS \
    >> "$VLLM_LOG_FILE" 2>&1
  log "vLLM exited (code $?)"
}

boot_vllm &

export LLM_BASE_URL="${LLM_BASE_URL:-http://127.0.0.1:8000/v1}"
export LLM_MODEL_NAME="${LLM_MODEL_NAME:-$MODEL_ID}"
cd "${FISHCLOUD_DIR:-/app/fishcloud}" || exit 1
# exec: the worker receives the container's SIGTERM and stops cleanly, and when it stops by itself (its dead-man's
# switch, POD_IDLE_TIMEOUT) the container's main process ends with it. It needs neither the token nor the URLs.
exec env -u HF_TOKEN -u WEIGHTS_CACHE_URLS node src/pod-worker/main.ts
