# Smoke test of a real Ollama or vLLM (or any OpenAI-compatible server, e.g. llama-server) install,
# end to end: the server answers, the model is there, one short completion, one stream. One line per
# step, PASS or FAIL; exits non-zero at the first failure. The PowerShell port of smoke.sh (same flags,
# same steps, same lines): HTTP through .NET's HttpClient and JSON through ConvertFrom-Json, both built
# in (PowerShell 5.1 and 7), so nothing to install.
#
#   pwsh scripts/smoke.ps1 --ollama [URL] [--model NAME] [--timeout SECONDS]
#   pwsh scripts/smoke.ps1 --vllm   [URL] [--model NAME] [--timeout SECONDS]
#
# URL defaults to http://127.0.0.1:11434 (Ollama) or http://127.0.0.1:8000 (vLLM); NAME to the first
# model the server lists; SECONDS (per request, default 120) bounds each completion.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3

$Usage = @'
usage: scripts/smoke.ps1 --ollama [URL] | --vllm [URL]  [--model NAME] [--timeout SECONDS]
  --ollama [URL]   check an Ollama server (default http://127.0.0.1:11434)
  --vllm [URL]     check a vLLM / OpenAI-compatible server (default http://127.0.0.1:8000)
  --model NAME     the model to check (default: the first one the server lists)
  --timeout SECS   bound for each completion request (default 120)
'@

function Stop-Usage([string]$Message) {
  if ($Message) { [Console]::Error.WriteLine("smoke: $Message") }
  [Console]::Error.WriteLine($Usage)
  exit 2
}

$Kind = ''; $Url = ''; $Model = ''; $Timeout = '120'
for ($i = 0; $i -lt $args.Count; $i++) {
  $arg = [string]$args[$i]
  switch ($arg) {
    { $_ -in '--ollama', '--vllm' } {
      $Kind = $arg.Substring(2)
      if ($i + 1 -lt $args.Count -and -not ([string]$args[$i + 1]).StartsWith('--')) { $i++; $Url = [string]$args[$i] }
    }
    '--model' { if ($i + 1 -ge $args.Count) { Stop-Usage '' }; $i++; $Model = [string]$args[$i] }
    '--timeout' { if ($i + 1 -ge $args.Count) { Stop-Usage '' }; $i++; $Timeout = [string]$args[$i] }
    { $_ -in '-h', '--help' } { Write-Output $Usage; exit 0 }
    default { Stop-Usage "unknown argument: $arg" }
  }
}
if (-not $Kind) { Stop-Usage 'say which server: --ollama or --vllm' }
if ($Timeout -notmatch '^[0-9]+$') { [Console]::Error.WriteLine("smoke: --timeout wants whole seconds, got: $Timeout"); exit 2 }
if (-not $Url) { $Url = if ($Kind -eq 'ollama') { 'http://127.0.0.1:11434' } else { 'http://127.0.0.1:8000' } }
$Url = $Url.TrimEnd('/')

function Pass([string]$What) { Write-Output "PASS $What" }
function Fail([string]$What) { Write-Output "FAIL $What"; exit 1 }

Add-Type -AssemblyName System.Net.Http
$Client = [System.Net.Http.HttpClient]::new()
$Client.Timeout = [System.Threading.Timeout]::InfiniteTimeSpan

# One request, body included, bounded by $MaxSeconds: @{ Status; Body; Error } where Error is the
# transport failure (refused, timed out, cut off mid-body).
function Invoke-Http([string]$Method, [string]$Path, [string]$Body = '', [int]$MaxSeconds = 10) {
  $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), [Uri]"$Url$Path")
  if ($Body) { $request.Content = [System.Net.Http.StringContent]::new($Body, [System.Text.Encoding]::UTF8, 'application/json') }
  $cancel = [System.Threading.CancellationTokenSource]::new([TimeSpan]::FromSeconds($MaxSeconds))
  $result = @{ Status = '000'; Body = ''; Error = '' }
  try {
    # ResponseContentRead: the token bounds the whole body, not only the headers.
    $response = $Client.SendAsync($request, [System.Net.Http.HttpCompletionOption]::ResponseContentRead, $cancel.Token).GetAwaiter().GetResult()
    $result.Status = [string][int]$response.StatusCode
    $result.Body = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
  } catch {
    $e = $_.Exception
    while ($e.InnerException) { $e = $e.InnerException }
    $result.Error = if ($cancel.IsCancellationRequested) { "no complete answer within $MaxSeconds s" } else { $e.Message }
  } finally {
    $cancel.Dispose()
  }
  return $result
}

function ConvertFrom-JsonOrNull([string]$Text) {
  try { return $Text | ConvertFrom-Json } catch { return $null }
}

# Why a request did not succeed, in a few words.
function Get-Why($Result) {
  if ($Result.Error) { return $Result.Error }
  $json = ConvertFrom-JsonOrNull $Result.Body
  $message = ''
  if ($null -ne $json -and $json.PSObject.Properties['error']) {
    $message = if ($json.error -is [string]) { $json.error } elseif ($json.error.PSObject.Properties['message']) { $json.error.message } else { '' }
  } elseif ($null -ne $json -and $json.PSObject.Properties['message']) {
    $message = $json.message
  }
  if ($message) { return "HTTP $($Result.Status): $message" }
  return "HTTP $($Result.Status)"
}

# --- 1. detect ------------------------------------------------------------------------------------
if ($Kind -eq 'ollama') {
  $r = Invoke-Http GET /api/version
  $json = ConvertFrom-JsonOrNull $r.Body
  if (-not $r.Error -and $r.Status -eq '200' -and $null -ne $json -and $json.PSObject.Properties['version']) {
    Pass "detect: Ollama $($json.version) answers at $Url (GET /api/version)"
  } else {
    Fail "detect: no Ollama at $Url (GET /api/version: $(Get-Why $r))"
  }
} else {
  $r = Invoke-Http GET /health
  if (-not $r.Error -and $r.Status -eq '200') {
    $version = ''
    $v = Invoke-Http GET /version
    $json = ConvertFrom-JsonOrNull $v.Body
    if (-not $v.Error -and $v.Status -eq '200' -and $null -ne $json -and $json.PSObject.Properties['version']) { $version = " (vLLM $($json.version))" }
    Pass "detect: server$version answers at $Url (GET /health 200)"
  } else {
    Fail "detect: no healthy server at $Url (GET /health: $(Get-Why $r))"
  }
}

# --- 2. model present -----------------------------------------------------------------------------
$Route = if ($Kind -eq 'ollama') { '/api/tags' } else { '/v1/models' }
$r = Invoke-Http GET $Route
if ($r.Error -or $r.Status -ne '200') { Fail "model: cannot list models (GET ${Route}: $(Get-Why $r))" }
$json = ConvertFrom-JsonOrNull $r.Body
$listed = @()
if ($null -ne $json) {
  if ($Kind -eq 'ollama' -and $json.PSObject.Properties['models']) { $listed = @($json.models | ForEach-Object { [string]$_.name }) }
  if ($Kind -ne 'ollama' -and $json.PSObject.Properties['data']) { $listed = @($json.data | ForEach-Object { [string]$_.id }) }
}
if ($listed.Count -eq 0) { Fail "model: the server lists no model (GET $Route)" }
if (-not $Model) {
  $Model = $listed[0]
  Pass "model: $Model is served (the first of GET $Route)"
} else {
  $wanted = $Model
  # Ollama: a name without a tag means :latest.
  if ($Kind -eq 'ollama' -and -not $wanted.Contains(':')) { $wanted = "${wanted}:latest" }
  if ($listed -contains $Model -or $listed -contains $wanted) {
    Pass "model: $Model is listed (GET $Route)"
  } else {
    Fail "model: $Model is not listed by GET $Route (it has: $(($listed | Select-Object -First 5) -join ','))"
  }
}

# --- 3. one short completion ----------------------------------------------------------------------
$Messages = @(@{ role = 'user'; content = 'Say hello in one word.' })
function Get-Request([bool]$Stream) {
  if ($Kind -eq 'ollama') {
    $body = @{ model = $Model; messages = $Messages; stream = $Stream; options = @{ temperature = 0; num_predict = 8 } }
  } else {
    $body = @{ model = $Model; messages = $Messages; stream = $Stream; max_tokens = 8; temperature = 0 }
  }
  return ConvertTo-Json -InputObject $body -Depth 5 -Compress
}
$Route = if ($Kind -eq 'ollama') { '/api/chat' } else { '/v1/chat/completions' }
$started = Get-Date
$r = Invoke-Http POST $Route (Get-Request $false) ([int]$Timeout)
if ($r.Error -or $r.Status -ne '200') { Fail "completion: POST $Route failed ($(Get-Why $r))" }
$json = ConvertFrom-JsonOrNull $r.Body
$text = ''
if ($Kind -eq 'ollama') {
  if ($null -eq $json -or -not $json.PSObject.Properties['done'] -or $json.done -ne $true -or -not $json.PSObject.Properties['message']) {
    Fail "completion: POST $Route answered 200 without a finished message"
  }
  $text = [string]$json.message.content
} else {
  if ($null -eq $json -or -not $json.PSObject.Properties['choices'] -or @($json.choices).Count -eq 0) {
    Fail "completion: POST $Route answered 200 without choices"
  }
  $text = [string]@($json.choices)[0].message.content
}
if ($text.Length -gt 40) { $text = $text.Substring(0, 40) }
$seconds = [int]((Get-Date) - $started).TotalSeconds
Pass "completion: POST $Route answered in $seconds s (max 8 tokens, temperature 0): `"$text`""

# --- 4. one stream --------------------------------------------------------------------------------
$started = Get-Date
$r = Invoke-Http POST $Route (Get-Request $true) ([int]$Timeout)
$lines = @($r.Body -split "`r?`n" | Where-Object { $_ -ne '' })
if ($Kind -eq 'ollama') {
  $chunks = @($lines | Where-Object { $_ -match '"done"\s*:\s*false' }).Count
} else {
  $chunks = @($lines | Where-Object { $_.StartsWith('data: {') }).Count
}
# .NET drops a body cut off mid-way, so unlike smoke.sh no chunk count comes with a transport failure.
if ($r.Error) { Fail "stream: POST $Route failed ($(Get-Why $r))" }
if ($r.Status -ne '200') { Fail "stream: POST $Route failed after $chunks chunks ($(Get-Why $r))" }
if ($Kind -eq 'ollama') {
  # NDJSON: one object per line; the last has "done":true, and an error arrives as {"error":...}.
  $errorLine = $lines | Where-Object { $_ -match '"error"' } | Select-Object -First 1
  if ($errorLine) { Fail "stream: the server sent an error mid-stream: $errorLine" }
  if ($chunks -lt 1) { Fail "stream: no chunk before the end (POST $Route)" }
  if ($lines.Count -eq 0 -or $lines[-1] -notmatch '"done"\s*:\s*true') { Fail "stream: $chunks chunks but no final `"done`":true (cut off?)" }
  $marker = '"done":true'
} else {
  # SSE: data: {json} records, then data: [DONE]; an error arrives as a data: {"error":...} record.
  $errorLine = $lines | Where-Object { $_.StartsWith('data: {"error"') -or $_.StartsWith('error:') } | Select-Object -First 1
  if ($errorLine) { Fail "stream: the server sent an error mid-stream: $errorLine" }
  if ($chunks -lt 1) { Fail "stream: no chunk before the end (POST $Route)" }
  if (-not ($lines | Where-Object { $_.StartsWith('data: [DONE]') })) { Fail "stream: $chunks chunks but no data: [DONE] (cut off?)" }
  $marker = 'data: [DONE]'
}
$seconds = [int]((Get-Date) - $started).TotalSeconds
Pass "stream: POST $Route streamed $chunks chunks and $marker in $seconds s"
exit 0
