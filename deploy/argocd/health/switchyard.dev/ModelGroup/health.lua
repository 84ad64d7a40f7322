-- Argo CD health of a switchyard.dev ModelGroup.
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

-- "provider/model Stage weight/desired" for every target, e.g. "up/m Limited 20/40".
local function stages()
  local parts = {}
  for _, t in ipairs(obj.status.targets or {}) do
    table.insert(parts, (t.provider or "?") .. "/" .. (t.model or "?") .. " " ..
      (t.stage or "CatalogOnly") .. " " .. (t.effectiveWeight or 0) .. "/" .. (t.desiredWeight or 0))
  end
  return table.concat(parts, ", ")
end

local function drained()
  -- Every target was given weight 0 in Git on purpose (an omitted weight means 100).
  local targets = (obj.spec or {}).targets or {}
  if #targets == 0 then return false end
  for _, t in ipairs(targets) do
    if t.weight == nil or t.weight > 0 then return false end
  end
  return true
end

if obj.status == nil then return hs end
local generation = obj.metadata.generation or 0
if (obj.status.observedGeneration or 0) < generation then
  hs.message = "waiting for the operator to observe generation " .. generation
  return hs
end

local ready = condition("Ready")
local progressing = condition("Progressing")
local degraded = condition("Degraded")
if ready == nil then return hs end

if ready.status == "False" and (ready.reason == "InvalidSpec" or ready.reason == "RenderFailed") then
  hs.status = "Degraded"
  hs.message = explain(ready)
elseif degraded ~= nil and degraded.status == "True" then
  -- A target rolled back (gates failed), or the router does not serve the group as declared.
  hs.status = "Degraded"
  hs.message = explain(degraded)
elseif drained() then
  hs.status = "Suspended"
  hs.message = "every target has weight 0 in spec"
elseif progressing ~= nil and progressing.status == "True" then
  -- Targets stepping through SmokeOnly/Limited: weight grows while gates stay green.
  hs.message = "promoting: " .. stages()
elseif ready.status == "True" then
  hs.status = "Healthy"
  hs.message = stages()
else
  -- NoRoutedTarget while nothing is promoting or rolled back: evidence has not arrived yet.
  hs.message = explain(ready) .. " (awaiting evidence)"
end
return hs
