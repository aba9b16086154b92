#!/usr/bin/env bash
# A C program that forks with live handles (see c/fork.c), several times over.
. "$(dirname "$0")/lib.sh"

mkpool rbd
cc -O1 -Wall -o "$WORK/fork" "$(dirname "$0")/c/fork.c" -L"$SHIM" -lrbd -lrados
for i in 1 2 3 4 5; do
  check "child uses inherited and new handles, parent keeps working (run $i)" shim timeout 60 "$WORK/fork" "img$i"
done
finish
