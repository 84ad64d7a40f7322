-- Argo CD health of a switchyard.dev SmokeRun (an analysis run, like a Job).
-- Runs in Argo CD's sandbox for argocd-cm scripts: base and table libraries only (no string.*).
local hs = {status = "Progressing", message = "waiting to start"}

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
local ready = condition("Ready")
if ready ~= nil and ready.status == "False" then
  -- InvalidSpec: the operator refuses to run it until the spec in Git is fixed.
  hs.status = "Degraded"
  hs.message = explain(ready)
  return hs
end
local complete = condition("Complete")
if complete == nil then return hs end
if complete.status ~= "True" then
  hs.message = explain(complete)
  return hs
end

local succeeded = condition("Succeeded")
if succeeded ~= nil and succeeded.status == "True" then
  hs.status = "Healthy"
  hs.message = explain(succeeded)
else
  -- It ran and some task failed, or it could not run (Timeout, TargetNotFound, JobFailed).
  hs.status = "Degraded"
  hs.message = explain(succeeded or complete)
end
return hs
