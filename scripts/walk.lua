-- wrk -s walk.lua URL -- paths.txt: each request asks for the next path of the file, in a loop.
local paths, i = {}, 0
function init(args) for line in io.lines(args[1]) do paths[#paths + 1] = line end end
function request() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
