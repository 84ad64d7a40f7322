-- Argo CD health of a switchyard.dev Provider.
-- Runs in Argo CD's sandbox for argocd-cm scripts: base and table libraries only (no string.*).
local hs = {status = "Progressing", message = "waiting for the operator"}

local function condition(kind)
  for _, c in ipairs(obj.status.conditions or {}) do
    if c.type == kind then return c end
  end
  return nil
end

local function explain(c)
  local reason = c.reason or c.type
  if c.message ~= nil and c.message ~= "" then return reason .. ": " .. c.message end
  return reason
end

if obj.status == nil then return hs end
local generation = obj.metadata.generation or 0
if (obj.status.observedGeneration or 0) < generation then
  hs.message = "waiting for the operator to observe generation " .. generation
  return hs
end

local ready = condition("Ready")
local blocked = condition("AccessBlocked")
if ready == nil then return hs end

if blocked ~= nil and blocked.status == "True" then
  -- A 401/403/404 from a smoke: no traffic until keys or entitlements are fixed by a person.
  hs.status = "Degraded"
  hs.message = "access blocked: " .. explain(blocked)
elseif ready.status == "True" then
  hs.status = "Healthy"
  hs.message = explain(ready)
elseif ready.reason == "AwaitingEvidence" or ready.status == "Unknown" then
  -- Smoke runs are on their way; evidence decides what this provider may serve.
  hs.message = explain(ready)
else
  -- InvalidSpec, SecretMissing: nothing changes until someone edits Git or creates the Secret.
  hs.status = "Degraded"
  hs.message = explain(ready)
end
return hs
