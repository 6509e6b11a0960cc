# Sourced, not run: the memory task of train-default.sh's stage 2 (data, losses and their weights,
# stream shape, key-value rows), shared with the issue-2 experiments that start from it or vary it.
# Each caller adds its seed, init, model config, facts, curriculum, learning rate and time box;
# a flag given again later overrides the one here.
memory_task=(--data kjv,jargon --time-schedule --w-lm 1 --w-kv 3 --log-every 20 --ckpt-every 200
             --batch-size 12 --n-chunks 6 --bptt 6 --kv-max-distance 5 --kv-fraction 0.75
             --w-recall 1 --w-mem 0.5 --w-vic 0.1 --warmup 100)
