#!powershell

# Copyright: (c) 2026, federated.ssm_runas maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# Reads, and when given rules writes, one trust's IssuanceTransformRules as a whole string.
# The controller decides everything; values arrive only as module parameters.
$spec = @{
    options = @{
        relying_party = @{ type = 'str'; required = $true }
        rules = @{ type = 'str' }
        expected_rules = @{ type = 'str' }
        backup_dir = @{ type = 'path' }
    }
    required_by = @{ rules = @('expected_rules') }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$name = $module.Params.relying_party

function Get-TrustRule {
    param([string]$Name)
    # -Name accepts wildcards: keep only the exact match.
    $trust = Get-AdfsRelyingPartyTrust -Name $Name | Where-Object { $_.Name -eq $Name }
    if ($null -eq $trust) { return $null }
    return [string]$trust.IssuanceTransformRules
}

try {
    $current = Get-TrustRule -Name $name
}
catch {
    $module.FailJson('Reading the relying party trust failed', $_)
}
$module.Result.exists = $null -ne $current
$module.Result.rules = $current
$module.Result.backup_file = $null

if ($null -eq $module.Params.rules) {
    $module.ExitJson()
}
if ($null -eq $current) {
    $module.FailJson('The relying party trust does not exist; nothing was written.')
}
# Compare-and-swap: never overwrite a set someone changed after the controller read it.
if (-not [string]::Equals($current, [string]$module.Params.expected_rules, [System.StringComparison]::Ordinal)) {
    $module.FailJson('The rule set changed since it was read; nothing was written. Run again.')
}
$module.Result.changed = -not [string]::Equals($current, $module.Params.rules, [System.StringComparison]::Ordinal)
if ($module.Result.changed -and -not $module.CheckMode) {
    try {
        if ($module.Params.backup_dir) {
            $null = New-Item -ItemType Directory -Force -Path $module.Params.backup_dir
            $stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMddTHHmmssfffZ')
            $file = Join-Path -Path $module.Params.backup_dir -ChildPath ('IssuanceTransformRules-{0}.txt' -f $stamp)
            [System.IO.File]::WriteAllText($file, $current, (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false))
            $module.Result.backup_file = $file
        }
        Set-AdfsRelyingPartyTrust -TargetName $name -IssuanceTransformRules $module.Params.rules
        $module.Result.rules = Get-TrustRule -Name $name
    }
    catch {
        $module.FailJson('Writing the rule set failed; AD FS keeps the previous set', $_)
    }
}
$module.ExitJson()
