# cleanup.sh: removes a test world left behind (WORLD_KEEP=1 or a killed run): every llw-
# namespace with what runs inside it, /etc/netns/llw-*, and /tmp/llw-world.* scratch folders.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "cleanup.sh: run as root" >&2; exit 1; }
source "$(dirname "$0")/world.sh" # defines functions and names only
exec {lock_fd}>"$WORLD_LOCK"
flock -w 60 "$lock_fd" || { echo "cleanup.sh: a scenario is running (lock $WORLD_LOCK)" >&2; exit 1; }
world_remove_all
rm -rf /tmp/llw-world.*
echo "cleanup.sh: test world removed"
