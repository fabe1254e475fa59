<#
.SYNOPSIS
Install the CodeTether standalone binary for this user on Windows (Linux and macOS: install.sh).

.DESCRIPTION
  irm https://github.com/codetether/codetether/releases/latest/download/install.ps1 | iex
  .\install.ps1 [-From DIR|URL] [-Version X.Y.Z] [-BinDir DIR] [-NoFunctionGemma]

Reads the release's SHA256SUMS, downloads the one-dir build for this platform
(codetether-<version>-windows-<arch>.zip), checks its SHA-256, unpacks it into a temporary folder,
runs the unpacked binary's --version, and only then renames it into
%LOCALAPPDATA%\CodeTether\versions\<version> and points %LOCALAPPDATA%\CodeTether\bin\codetether.cmd
at it (the shim is written beside it and moved over the old one). Any failure before that leaves
the previous install exactly as it was. A second run says the install is current, or upgrades.
With the release's FunctionGemma GGUF listed in SHA256SUMS it is fetched (and checked) into the
data dir for the local tool-call router, unless -NoFunctionGemma.

Environment: CODETETHER_DOWNLOAD_BASE (artifact source, like -From), CODETETHER_INSTALL_DIR
(default %LOCALAPPDATA%\CodeTether\versions), XDG_DATA_HOME. CODETETHER_ARCH stands in for the
processor architecture (tests). The same flags, checks and messages as install.sh.
#>
[CmdletBinding()]
param(
    [string]$From = $(if ($env:CODETETHER_DOWNLOAD_BASE) { $env:CODETETHER_DOWNLOAD_BASE } else { "https://github.com/codetether/codetether/releases/latest/download" }),
    [string]$Version = "",
    [string]$BinDir = "",
    [switch]$NoFunctionGemma,
    [switch]$Help
)

$ErrorActionPreference = "Stop"
$ProgressPreference = "SilentlyContinue"  # Invoke-WebRequest's progress bar slows downloads a lot

function Say([string]$Message) { Write-Host "codetether-install: $Message" }
function Die([string]$Message) {
    [Console]::Error.WriteLine("codetether-install: error: $Message")
    exit 1
}

if ($Help) {
    Write-Host @"
Install the CodeTether standalone binary into %LOCALAPPDATA%\CodeTether\bin.

  .\install.ps1 [options]

  -From DIR|URL       where the release artifacts and SHA256SUMS are (default: the latest release)
  -Version X.Y.Z      install this version (default: the one the source's SHA256SUMS lists)
  -BinDir DIR         where codetether.cmd goes (default: %LOCALAPPDATA%\CodeTether\bin)
  -NoFunctionGemma    do not download the FunctionGemma model (~292 MB) for the tool-call router
  -Help               this help
"@
    exit 0
}

# --- platform ------------------------------------------------------------------------------------
$onWindows = ($PSVersionTable.PSVersion.Major -le 5) -or $IsWindows
if (-not $onWindows) {
    Die "unsupported platform: this is not Windows; on Linux and macOS run install.sh"
}
$archName = if ($env:CODETETHER_ARCH) { $env:CODETETHER_ARCH } elseif ($env:PROCESSOR_ARCHITEW6432) { $env:PROCESSOR_ARCHITEW6432 } else { $env:PROCESSOR_ARCHITECTURE }
switch -Regex ($archName) {
    '^(AMD64|x86_64|x64)$' { $archTag = "x86_64"; break }
    '^(ARM64|aarch64)$' { $archTag = "aarch64"; break }
    default { Die "unsupported platform: Windows $archName (binaries exist for x86_64 and arm64; elsewhere: pipx install codetether)" }
}
$Platform = "windows-$archTag"

$appData = if ($env:LOCALAPPDATA) { $env:LOCALAPPDATA } else { Join-Path $HOME "AppData\Local" }
if (-not $BinDir) { $BinDir = Join-Path $appData "CodeTether\bin" }
$InstallRoot = if ($env:CODETETHER_INSTALL_DIR) { $env:CODETETHER_INSTALL_DIR } else { Join-Path $appData "CodeTether\versions" }
$dataHome = if ($env:XDG_DATA_HOME) { $env:XDG_DATA_HOME } else { Join-Path $HOME ".local\share" }
$ModelsDir = Join-Path $dataHome "codetether-agent\models"

# Fetch one artifact from the source (a folder, file:// or http(s):// URL) to $Destination.
function Fetch([string]$Name, [string]$Destination) {
    if ($From -match "^https?://") {
        $url = $From.TrimEnd("/") + "/" + $Name
        try { Invoke-WebRequest -UseBasicParsing -Uri $url -OutFile $Destination }
        catch { Die "cannot download ${url}: $($_.Exception.Message)" }
    } elseif ($From -match "^file://") {
        $path = Join-Path ([Uri]$From).LocalPath $Name
        try { Copy-Item -LiteralPath $path -Destination $Destination } catch { Die "cannot read $path" }
    } elseif ($From -match "^[A-Za-z][A-Za-z0-9+.-]+://") {
        Die "unsupported source $From (use a folder, file://, http:// or https://)"
    } else {
        $path = Join-Path $From $Name
        try { Copy-Item -LiteralPath $path -Destination $Destination } catch { Die "cannot read $path" }
    }
}

# The SHA-256 that SHA256SUMS lists for $Name, or $null.
function Expected([string]$Name) {
    foreach ($line in $script:Sums) {
        $fields = $line -split "\s+", 2
        if ($fields.Count -eq 2 -and $fields[1].TrimStart("*") -eq $Name) { return $fields[0].ToLowerInvariant() }
    }
    return $null
}

function Verify([string]$File, [string]$Name) {
    $expected = Expected $Name
    if (-not $expected) { Die "SHA256SUMS does not list $Name" }
    $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $File).Hash.ToLowerInvariant()
    if ($actual -ne $expected) {
        Die "checksum mismatch for $Name (expected $expected, got $actual): the download is corrupt or was tampered with; nothing was installed"
    }
}

function Writable([string]$Dir, [string]$How) {
    try { New-Item -ItemType Directory -Force -Path $Dir | Out-Null }
    catch { Die "cannot create $Dir (no write access?): choose another folder with $How" }
    $probe = Join-Path $Dir ".codetether-write-test.$PID"
    try { Set-Content -LiteralPath $probe -Value "" ; Remove-Item -LiteralPath $probe }
    catch { Die "no write access to ${Dir}: choose another folder with $How" }
}

$Work = Join-Path ([IO.Path]::GetTempPath()) ("codetether-install." + [Guid]::NewGuid().ToString("N"))
New-Item -ItemType Directory -Path $Work | Out-Null
$staging = $null
try {
    # --- which version ---------------------------------------------------------------------------
    Fetch "SHA256SUMS" (Join-Path $Work "SHA256SUMS")
    $script:Sums = Get-Content -LiteralPath (Join-Path $Work "SHA256SUMS")
    $pattern = '^codetether-([0-9][0-9A-Za-z.+-]*)-' + [Regex]::Escape($Platform) + '\.zip$'
    $listed = @(foreach ($line in $script:Sums) {
            $fields = $line -split "\s+", 2
            if ($fields.Count -eq 2 -and $fields[1].TrimStart("*") -match $pattern) { $Matches[1] }
        })
    if ($listed.Count -eq 0) { Die "the release at $From has no build for $Platform" }
    # Numeric order, so 1.10.0 is newer than 1.9.0.
    $listed = @($listed | Sort-Object { $p = ($_ -split "[.+-]"); "{0:D8}.{1:D8}.{2:D8}" -f [int]("0" + ($p[0] -replace "\D", "")), [int]("0" + ($p[1] -replace "\D", "")), [int]("0" + ($p[2] -replace "\D", "")) })
    if ($Version) {
        if ($listed -notcontains $Version) { Die "version $Version for $Platform is not in $From (it has: $($listed -join ' '))" }
    } else {
        $Version = $listed[-1]
    }
    $artifact = "codetether-$Version-$Platform.zip"
    $target = Join-Path $InstallRoot $Version
    $exe = Join-Path $target "codetether\codetether.exe"
    $shim = Join-Path $BinDir "codetether.cmd"

    Writable $BinDir "-BinDir"
    Writable $InstallRoot "CODETETHER_INSTALL_DIR"

    # --- the program -----------------------------------------------------------------------------
    $previous = $null
    if (Test-Path -LiteralPath $shim) {
        $found = Select-String -LiteralPath $shim -Pattern '^@"(.+)" %\*$' | Select-Object -First 1
        if (-not $found) { Die "$shim exists and is not a shim this installer made: remove it, or use -BinDir" }
        $previous = $found.Matches[0].Groups[1].Value
    }
    $current = ""
    if ($previous -eq $exe -and (Test-Path -LiteralPath $exe)) {
        $current = (& $exe --version 2>$null | Out-String).Trim()
    }
    if ($current -eq "codetether $Version") {
        Say "codetether $Version is already installed and current ($shim)"
    } else {
        Say "downloading $artifact"
        $download = Join-Path $Work $artifact
        Fetch $artifact $download
        Verify $download $artifact
        $staging = Join-Path $InstallRoot ".$Version.partial.$PID"
        if (Test-Path -LiteralPath $staging) { Remove-Item -Recurse -Force -LiteralPath $staging }
        try { Expand-Archive -LiteralPath $download -DestinationPath $staging }
        catch { Die "cannot unpack ${artifact}: $($_.Exception.Message)" }
        $unpacked = Join-Path $staging "codetether\codetether.exe"
        if (-not (Test-Path -LiteralPath $unpacked)) { Die "$artifact does not hold codetether\codetether.exe" }
        $got = try { (& $unpacked --version 2>&1 | Out-String).Trim() } catch { $_.Exception.Message }
        if ($LASTEXITCODE -ne 0) { Die "the unpacked binary does not run here: $got" }
        if ($got -ne "codetether $Version") { Die "the unpacked binary says '$got', not 'codetether $Version'" }
        if (Test-Path -LiteralPath $target) { Remove-Item -Recurse -Force -LiteralPath $target }
        Move-Item -LiteralPath $staging -Destination $target
        $staging = $null
        $next = Join-Path $BinDir ".codetether.cmd.new.$PID"
        Set-Content -LiteralPath $next -Value "@`"$exe`" %*" -Encoding ASCII
        Move-Item -Force -LiteralPath $next -Destination $shim
        if ($previous -and $previous -ne $exe) {
            $oldDir = Split-Path (Split-Path $previous -Parent) -Parent
            if ($oldDir.StartsWith($InstallRoot) -and (Test-Path -LiteralPath $oldDir)) {
                Remove-Item -Recurse -Force -LiteralPath $oldDir -ErrorAction SilentlyContinue
            }
            Say "upgraded to codetether $Version ($shim)"
        } else {
            Say "installed codetether $Version ($shim -> $target)"
        }
    }

    # --- FunctionGemma, the local tool-call router's model -----------------------------------------
    $model = $null
    foreach ($line in $script:Sums) {
        $name = ($line -split "\s+", 2)[-1].TrimStart("*")
        if ($name -match '^functiongemma-.*\.gguf$') { $model = $name; break }
    }
    $modelPath = if ($model) { Join-Path $ModelsDir $model } else { $null }
    if ($NoFunctionGemma) {
        Say "skipping the FunctionGemma model (-NoFunctionGemma)"
    } elseif (-not $model) {
        Say "this release lists no FunctionGemma model; skipping it"
    } elseif ((Test-Path -LiteralPath $modelPath) -and (Get-FileHash -Algorithm SHA256 -LiteralPath $modelPath).Hash.ToLowerInvariant() -eq (Expected $model)) {
        Say "the FunctionGemma model is already in $ModelsDir"
    } else {
        Say "downloading $model (~292 MB; -NoFunctionGemma skips it)"
        $download = Join-Path $Work $model
        Fetch $model $download
        Verify $download $model
        try { New-Item -ItemType Directory -Force -Path $ModelsDir | Out-Null } catch { Die "cannot create $ModelsDir" }
        Move-Item -Force -LiteralPath $download -Destination $modelPath
        Say "FunctionGemma model: $modelPath"
    }

    # --- next step -------------------------------------------------------------------------------
    $userPath = [Environment]::GetEnvironmentVariable("Path", "User")
    if (-not (($userPath -split ";") -contains $BinDir)) {
        [Environment]::SetEnvironmentVariable("Path", (@($BinDir) + @($userPath -split ";" | Where-Object { $_ })) -join ";", "User")
        Say "added $BinDir to your user PATH: open a new terminal to use it"
    }
    Say "next: cd into a project and run: codetether run `"list the files here and say what each is for`""
} finally {
    if ($staging -and (Test-Path -LiteralPath $staging)) { Remove-Item -Recurse -Force -LiteralPath $staging -ErrorAction SilentlyContinue }
    Remove-Item -Recurse -Force -LiteralPath $Work -ErrorAction SilentlyContinue
}
