#!/usr/bin/env bash
# One short device check (< 5 min on one GPU): the CUDA paths of grokcheck, figures into $OUT.
#   scenario A at d = 20 and 40 (the paper's three settings, short runs), RFM at large p (torch float64).
# Run by the `device` tool from the repository root:  bash benchmarks/device_check.sh
# Needs a CUDA build of torch on the device machine; prints what it measured and writes JSON to $OUT.
set -euo pipefail
OUT="${OUT:-device-out}"
mkdir -p "$OUT"
PY="${PY:-python3}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
"$PY" - <<'PYEOF'
import torch
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
PYEOF
# scenario A: d = 20 and 40, 256 runs, 1000 steps per setting (time per step sizes a full 5000-step run)
for d in 20 40; do
  /usr/bin/time -v timeout 100 "$PY" -c "
import json, time, local_rules as lr
t0 = time.perf_counter()
st = lr.scenario_a_study(d=$d, n_init=256, seed=0, device='cuda', n_steps=1000, progress=False, keep_results=False)
wall = time.perf_counter() - t0
print(st.table.to_string())
json.dump({'d': $d, 'n_init': 256, 'n_steps': 1000, 'wall_s': wall, 'table': st.table.to_dict(orient='records')},
          open('$OUT/scenario_a_d$d.json', 'w'), default=str, indent=1)
print('scenario A d=$d: %.1f s for 3 settings x 256 runs x 1000 steps' % wall)
" 2>&1 | tee "$OUT/scenario_a_d$d.log" | grep -E "scenario A|Maximum resident|Error|error" || true
done
# RFM at large p on CUDA vs the numpy path (exit 1 on a backend mismatch)
timeout 120 "$PY" -m modular_rfm.device_check --device cuda --p 113 211 --n-iter 30 --out "$OUT/rfm_device.json" \
  2>&1 | tee "$OUT/rfm.log" | tail -20 || true
ls -la "$OUT"
