# store/lib.sh - helpers shared by the store_*.sh end-to-end tests (sourced).
# gen N CHUNK DAY: N EVE-style records of one UTC day (YYYY-MM-DD), in time
# order, each with a unique "id":"c<CHUNK>-<j>". NOISE=1 in the environment
# adds 32 random hex digits per record (compresses poorly: fills disks).
gen() {
  awk -v n="$1" -v c="$2" -v day="$3" -v noise="${NOISE:-0}" 'BEGIN {
    srand(c)
    for (j = 0; j < n; j++) {
      s = j % 86400
      printf("{\"timestamp\":\"%sT%02d:%02d:%02d.%06d+00:00\",\"flow_id\":%d,\"event_type\":\"dns\",", day, int(s / 3600), int(s / 60) % 60, s % 60, j % 1000000, c * 1000000 + j)
      printf("\"src_ip\":\"10.%d.%d.%d\",\"src_port\":%d,\"dest_ip\":\"192.0.2.53\",\"dest_port\":53,\"proto\":\"UDP\",", c % 250, int(j / 250) % 250, j % 250 + 1, 1024 + j % 60000)
      if (noise) printf("\"blob\":\"%08x%08x%08x%08x\",", rand() * 4294967295, rand() * 4294967295, rand() * 4294967295, rand() * 4294967295)
      printf("\"id\":\"c%d-%d\",\"dns\":{\"version\":3,\"type\":\"query\",\"id\":%d,\"queries\":[{\"rrname\":\"h%d.example.com\",\"rrtype\":\"A\"}]},", c, j, j % 65536, j % 997)
      printf("\"user\":{\"ip\":\"10.%d.%d.%d\",\"account\":\"user%d\",\"source\":\"radius\"}}\n", c % 250, int(j / 250) % 250, j % 250 + 1, j % 500)
    }
  }'
}
fail() { echo "FAIL: $*" >&2; exit 1; }
