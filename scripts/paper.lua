-- scripts/paper.lua: the whole paper, reproduced (see README).
-- The experiment pipeline is not written yet: this placeholder only says so.
io.stderr:write("gcgap: scripts/paper.lua is not implemented yet (the experiment pipeline lands with the issues after the host and the native core)\n")
os.exit(0)
