#!/usr/bin/env bash
# Starts or stops two real qBittorrent instances (Debian's qbittorrent-nox 4.5.x)
# for the test suite (tests/real_qbittorrent.rs).
#
#   tools/qbittorrent.sh start DIR   # profiles, logs and DIR/env under DIR
#   tools/qbittorrent.sh stop DIR    # stops both by their PIDs
#
# Both listen on 127.0.0.1 only (WebUI and BitTorrent) on free ports, with
# DHT, PeX, LSD and UPnP/NAT-PMP off, so they only ever see each other.
# DIR/env holds `export` lines the tests read:
#   STATUS_TRACKER_TEST_QBT_A / _B            WebUI base URLs
#   STATUS_TRACKER_TEST_QBT_A_PEER / _B_PEER  BitTorrent ports (for torrents/addPeers)
#   STATUS_TRACKER_TEST_QBT_USERNAME / _PASSWORD
#   STATUS_TRACKER_TEST_QBT_SESSION_TIMEOUT   A's WebUI session timeout, seconds
#   STATUS_TRACKER_TEST_QBT_DIR               DIR (scratch space for torrent data)
# Instance A (the seeder) has a short WebUI session timeout so session expiry
# can be tested; B (the downloader) keeps the default hour. Both allow 100
# failed logins before banning, so the wrong-password test can never get the
# runner banned. No standard input is read; start is idempotent per DIR.
set -euo pipefail

USERNAME=admin
PASSWORD=status-tracker-test
# PBKDF2-HMAC-SHA512, 100000 iterations, 16-byte salt, 64-byte key, as
# qBittorrent stores it. Computed with:
#   python3 -c "import hashlib,base64;s=b'StatusTrakerTest';k=hashlib.pbkdf2_hmac('sha512',b'status-tracker-test',s,100000);print(base64.b64encode(s).decode()+':'+base64.b64encode(k).decode())"
PASSWORD_PBKDF2='@ByteArray(U3RhdHVzVHJha2VyVGVzdA==:xc0BWoWLPW2wwedAgvdpqpkm0L3YRAV1LlWnIkRg3z25mshxFuI/5YC/c80ySoL5QRIJl0RhY7BAVrkvbCRaag==)'
SESSION_TIMEOUT_A=3

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

# A TCP port nothing listens on yet (random in 20000-59999).
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "qbittorrent.sh: no free port found" >&2
  return 1
}

# write_config PROFILE WEBUI_PORT PEER_PORT SESSION_TIMEOUT
write_config() {
  local profile=$1 webui=$2 peer=$3 timeout=$4
  mkdir -p "$profile/qBittorrent/config" "$profile/downloads"
  cat >"$profile/qBittorrent/config/qBittorrent.conf" <<EOF
[LegalNotice]
Accepted=true

[BitTorrent]
Session\\Port=$peer
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress=127.0.0.1
Session\\DHTEnabled=false
Session\\PeXEnabled=false
Session\\LSDEnabled=false
Session\\MultiConnectionsPerIp=true
Session\\IgnoreLimitsOnLAN=false
Session\\QueueingSystemEnabled=false
Session\\DefaultSavePath=$profile/downloads
Session\\TempPathEnabled=false
Session\\AddTorrentPaused=false

[Network]
PortForwardingEnabled=false

[Preferences]
Bittorrent\\DHT=false
Bittorrent\\PeX=false
Bittorrent\\LSD=false
Connection\\UPnP=false
General\\Locale=en
WebUI\\Address=127.0.0.1
WebUI\\Port=$webui
WebUI\\LocalHostAuth=true
WebUI\\Username=$USERNAME
WebUI\\Password_PBKDF2="$PASSWORD_PBKDF2"
WebUI\\MaxAuthenticationFailCount=100
WebUI\\BanDuration=60
WebUI\\SessionTimeout=$timeout
WebUI\\CSRFProtection=true
WebUI\\HostHeaderValidation=true
WebUI\\UseUPnP=false
EOF
}

# wait_ready URL: until a login with the test credentials answers "Ok.".
wait_ready() {
  local url=$1 body
  for _ in $(seq 1 100); do
    body=$(curl -s --max-time 2 --data-urlencode "username=$USERNAME" \
      --data-urlencode "password=$PASSWORD" "$url/api/v2/auth/login" 2>/dev/null || true)
    if [ "$body" = "Ok." ]; then
      return 0
    fi
    sleep 0.2
  done
  echo "qbittorrent.sh: $url did not accept the test login (last answer: '$body')" >&2
  return 1
}

# start_one NAME WEBUI_PORT PEER_PORT SESSION_TIMEOUT
start_one() {
  local name=$1 webui=$2 peer=$3 timeout=$4
  local profile="$DIR/$name"
  write_config "$profile" "$webui" "$peer" "$timeout"
  nohup qbittorrent-nox --profile="$profile" --webui-port="$webui" \
    </dev/null >"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  wait_ready "http://127.0.0.1:$webui"
}

stop_one() {
  local pidfile="$DIR/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

[ $# -eq 2 ] || usage
DIR=$2
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

case $1 in
  start)
    if ! command -v qbittorrent-nox >/dev/null 2>&1; then
      echo "qbittorrent.sh: qbittorrent-nox is not installed (run tools/setup.sh)" >&2
      exit 1
    fi
    stop_one a
    stop_one b
    webui_a=$(free_port)
    webui_b=$(free_port)
    peer_a=$(free_port)
    peer_b=$(free_port)
    start_one a "$webui_a" "$peer_a" "$SESSION_TIMEOUT_A"
    start_one b "$webui_b" "$peer_b" 3600
    cat >"$DIR/env" <<EOF
export STATUS_TRACKER_TEST_QBT_A=http://127.0.0.1:$webui_a
export STATUS_TRACKER_TEST_QBT_B=http://127.0.0.1:$webui_b
export STATUS_TRACKER_TEST_QBT_A_PEER=$peer_a
export STATUS_TRACKER_TEST_QBT_B_PEER=$peer_b
export STATUS_TRACKER_TEST_QBT_USERNAME=$USERNAME
export STATUS_TRACKER_TEST_QBT_PASSWORD=$PASSWORD
export STATUS_TRACKER_TEST_QBT_SESSION_TIMEOUT=$SESSION_TIMEOUT_A
export STATUS_TRACKER_TEST_QBT_DIR=$DIR
EOF
    echo "qbittorrent.sh: $(qbittorrent-nox --version) A on $webui_a (peer $peer_a), B on $webui_b (peer $peer_b)"
    ;;
  stop)
    stop_one a
    stop_one b
    ;;
  *) usage ;;
esac
