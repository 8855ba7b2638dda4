#!/usr/bin/env bash
# Packs Ddnn.Kernels and Ddnn.Core into a fresh folder feed and publishes the device host (this folder) from those
# packages with NativeAOT: publish.sh <out-dir> leaves the native program at <out-dir>/ddnn-device.
# Every run packs a version of its own (<Version of Directory.Build.props>-local.<time>.<pid>), so the NuGet cache never
# serves an older build of the same version; all build output goes under <out-dir>, none into the source tree.
# Trim and AOT warnings are errors. Needs clang (or clang-14) and the ILCompiler package from the configured NuGet source.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:?usage: publish.sh <out-dir>}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# NativeAOT links with clang; Debian's clang-14 package installs only clang-14, which the ILCompiler finds through CppCompilerAndLinker.
linker=""
for candidate in clang clang-14; do
  if command -v "$candidate" >/dev/null 2>&1; then linker="$candidate"; break; fi
done
if [ -z "$linker" ]; then
  echo "publish.sh: no clang on PATH (tried clang, clang-14); NativeAOT needs it to link: apt-get install clang (.ci/test installs it)" >&2
  exit 3
fi

base=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props" | head -n 1)
[ -n "$base" ] || { echo "publish.sh: no <Version> in $root/Directory.Build.props" >&2; exit 1; }
version="$base-local.$(date -u +%Y%m%d%H%M%S).$$"
feed="$out/feed"
# The packed version is never used again: drop it from the NuGet cache when done, so runs do not pile up there.
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
trap 'rm -rf "$cache/ddnn.kernels/$version" "$cache/ddnn.core/$version"' EXIT
rm -rf "$feed" "$out/artifacts"
mkdir -p "$feed"

for project in Ddnn.Kernels Ddnn.Core; do
  dotnet pack "$root/$project/$project.csproj" -c Release -v quiet -p:Version="$version" \
    --artifacts-path "$out/artifacts/engine" -o "$feed"
done

dotnet publish "$here/Ddnn.PackageConsumer.csproj" -c Release -r linux-x64 -v quiet \
  -p:DdnnPackageVersion="$version" -p:RestoreAdditionalProjectSources="$feed" -p:CppCompilerAndLinker="$linker" \
  --artifacts-path "$out/artifacts/host" -o "$out/publish"
cp "$out/publish/ddnn-device" "$out/ddnn-device"
echo "published $out/ddnn-device from Ddnn.Core $version ($(stat -c %s "$out/ddnn-device") bytes)"
