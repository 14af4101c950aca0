#!/usr/bin/env bash
# Installs the Debian 12 packages StreamLib needs to build, test and benchmark.
# Idempotent: packages already present are skipped, and apt-get runs only when
# something is missing. Nothing is fetched from outside Debian's archive.
set -euo pipefail

packages=(
  # toolchain
  g++ clang libclang-rt-14-dev cmake ninja-build make pkg-config git
  # libraries the library and its tests link against
  libexpected-dev libfmt-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  # tests and benchmarks: graphviz checks DOT output; peers for the benchmarks (bench/video_pipeline.sh:
  # y4mdec from -bad, x264enc from -ugly, /usr/bin/time from time)
  graphviz libboost-dev gstreamer1.0-tools libgstreamer1.0-dev gstreamer1.0-plugins-base
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly time
  # media components: FFmpeg, SDL2, lilv/LV2 (V4L2 is the kernel's videodev2.h)
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
  libsdl2-dev liblilv-dev lv2-dev libcli11-dev
  # what the tests check against: ffmpeg/ffprobe, an X server for windows, LV2 plugins, sox,
  # tmux (a real terminal for the live view)
  ffmpeg xvfb libx11-dev x11-apps imagemagick lv2-examples mda-lv2 swh-lv2 sox gstreamer1.0-plugins-good gstreamer1.0-libav
  tmux
  # lint
  clang-format
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
