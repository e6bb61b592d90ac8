#!/usr/bin/env bash
# Regenerates the small sample videos in samples/ (needs ffmpeg). They are committed, so this is
# only for changing them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../samples"
ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=160x90:rate=5:duration=12" -f lavfi -i "sine=frequency=440:duration=12" \
  -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p -c:a aac -b:a 16k -shortest color-theory-intro.mp4
ffmpeg -loglevel error -y -f lavfi -i "smptebars=size=160x90:rate=5:duration=20" -f lavfi -i "sine=frequency=330:duration=20" \
  -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p -c:a aac -b:a 16k -shortest stage-lighting-basics.mp4
ffmpeg -loglevel error -y -f lavfi -i "mandelbrot=size=160x90:rate=5" -t 8 -f lavfi -i "sine=frequency=550:duration=8" \
  -c:v libvpx-vp9 -crf 50 -b:v 0 -c:a libopus -b:a 16k -shortest perspective-drawing.webm
ls -la
