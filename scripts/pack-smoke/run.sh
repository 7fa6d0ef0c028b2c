#!/usr/bin/env bash
# Pack smoke test: packs Kernel and Kernel.Storage (Release) into a local folder feed under a
# unique prerelease version, then builds and runs a fresh console project, outside the repo,
# that references only the Kernel package: its [StreamEvent] and [Aggregation] must be compiled
# by the generator shipped in the package, and a file read through the generated CSV parser and
# a KeyedAggregator must print the expected rows (consumer/expected.txt).
#
# Usage: scripts/pack-smoke/run.sh        (exit 0 on success; non-zero with the reason otherwise)
# Needs: the .NET 10 SDK and python3 (to list the package). Restores other packages from the
# machine's default NuGet source. Leaves nothing behind: temp dirs and the smoke version's
# folders in the global packages cache are removed on exit.
#
# The package must carry lib/net10.0/Kernel.xml (IntelliSense). KERNEL_PACK_SMOKE_DOCS=warn
# turns its absence into a warning, for a transition only.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$repo/scripts/pack-smoke"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# A version never seen before, so the global packages cache cannot serve a stale copy.
version="0.1.0-smoke.$(date -u +%Y%m%d%H%M%S).$$"
work="$(mktemp -d "${TMPDIR:-/tmp}/kernel-pack-smoke.XXXXXX")"
packages="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')"
packages="${packages:-$HOME/.nuget/packages/}"

cleanup() {
  rm -rf "$work"
  rm -rf "${packages%/}/kernel/$version" "${packages%/}/kernel.storage/$version"
  rmdir "${packages%/}/kernel" "${packages%/}/kernel.storage" 2>/dev/null || true
}
trap cleanup EXIT

fail() {
  echo "pack-smoke: FAILED: $*" >&2
  exit 1
}

# Runs a step quietly; on failure shows the end of its log.
step() {
  local name="$1" log="$work/$1.log"
  shift
  echo "== $name"
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "$name (full log above, last 40 lines)"
  fi
}

# The sources are packed from a copy, so the caller's bin/ and obj/ are never rebuilt under
# the smoke version.
src="$work/src"
mkdir -p "$src"
tar -C "$repo" --exclude=bin --exclude=obj -cf - \
  Directory.Build.props Directory.Packages.props global.json README.md .editorconfig \
  Kernel Kernel.Storage Kernel.Generators | tar -C "$src" -xf -

feed="$work/feed"
step pack-storage dotnet pack "$src/Kernel.Storage/Kernel.Storage.csproj" -c Release -o "$feed" -p:Version="$version"
step pack-kernel dotnet pack "$src/Kernel/Kernel.csproj" -c Release -o "$feed" -p:Version="$version"

echo "== check package contents"
nupkg="$feed/Kernel.$version.nupkg"
[[ -f "$nupkg" ]] || fail "no $nupkg after packing"
[[ -f "$feed/Kernel.Storage.$version.nupkg" ]] || fail "no Kernel.Storage.$version.nupkg after packing"
python3 - "$nupkg" "$version" "${KERNEL_PACK_SMOKE_DOCS:-fail}" <<'PY' || fail "the Kernel package is missing required content (see above)"
import re, sys, zipfile
path, version, docs = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(path) as z:
    names = set(z.namelist())
    nuspec = z.read(next(n for n in names if n.endswith(".nuspec"))).decode("utf-8")
missing = [n for n in (
    "lib/net10.0/Kernel.dll",
    "analyzers/dotnet/cs/Kernel.Generators.dll",    # the source generator
    "README.md",
) if n not in names]
# XML docs, for IntelliSense: produced only when the project generates its documentation file.
if "lib/net10.0/Kernel.xml" not in names:
    if docs == "warn":
        print("  warning: lib/net10.0/Kernel.xml (XML docs) is not in the package", file=sys.stderr)
    else:
        missing.append("lib/net10.0/Kernel.xml (set GenerateDocumentationFile in Kernel.csproj)")
for n in missing:
    print(f"  missing from the package: {n}", file=sys.stderr)
if not re.search(r'<dependency id="Kernel\.Storage" version="\[?' + re.escape(version), nuspec):
    print(f"  the nuspec does not depend on Kernel.Storage {version}", file=sys.stderr)
    missing.append("dependency")
sys.exit(1 if missing else 0)
PY

# The consumer lives outside the repo, with empty Directory.Build.* and Directory.Packages.props
# so nothing above it (the repo's or any other) is imported.
app="$work/app"
mkdir -p "$app"
cp "$here/consumer/Program.cs" "$here/consumer/Declarations.cs" "$app/"
for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do echo '<Project />' >"$app/$f"; done
cat >"$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <!-- Added to the default sources, not replacing them: Kernel's own dependencies come from there. -->
    <add key="kernel-smoke" value="$feed" />
  </packageSources>
</configuration>
XML
cat >"$app/Smoke.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Kernel" Version="$version" />
  </ItemGroup>
</Project>
XML

step consumer-build dotnet build "$app/Smoke.csproj" -c Release
echo "== run consumer"
actual="$work/actual.txt"
if ! dotnet "$app/bin/Release/net10.0/Smoke.dll" >"$actual" 2>"$work/run.err"; then
  cat "$actual" "$work/run.err" >&2
  fail "the consumer exited with an error"
fi
if ! diff -u "$here/consumer/expected.txt" "$actual" >"$work/diff.txt"; then
  cat "$work/diff.txt" >&2
  fail "the consumer's output differs from scripts/pack-smoke/consumer/expected.txt (diff above: - expected, + actual)"
fi
cat "$actual"
echo "pack-smoke: OK (Kernel $version)"
