/*
 * registry.c - the probe table: every probe a check file may name.
 *
 * Adding a probe: its file (src/inspect/probe_<name>.c exporting one const
 * struct nw_probe), its name in NW_INSPECT_SRC (src/CMakeLists.txt), and two
 * lines here (the extern and the table entry). Check files then name it.
 * Keep each block sorted; one block per owner keeps parallel edits apart.
 */
#include "nw/inspect.h"

#include <string.h>

/* local and audit-self probes (I1) */
extern const struct nw_probe nw_probe_auditd, nw_probe_backup_age, nw_probe_clamav,
    nw_probe_command, nw_probe_cron_suspicious, nw_probe_file_regex, nw_probe_file_stat,
    nw_probe_firewall, nw_probe_ld_preload, nw_probe_listening, nw_probe_log_retention,
    nw_probe_package, nw_probe_pam_lockout, nw_probe_pam_pwquality, nw_probe_passwd,
    nw_probe_pending_updates, nw_probe_process, nw_probe_store_health, nw_probe_suid,
    nw_probe_sysctl, nw_probe_time_sync, nw_probe_world_writable;

/* network probes (I2) */
extern const struct nw_probe nw_probe_banner, nw_probe_risky_service, nw_probe_tcp_ports,
    nw_probe_tls_service;

/* weak-credential probes (I3) */
extern const struct nw_probe nw_probe_weak_ftp, nw_probe_weak_http_basic, nw_probe_weak_mysql,
    nw_probe_weak_postgres, nw_probe_weak_redis, nw_probe_weak_ssh;

/* website probes (W1) */
extern const struct nw_probe nw_probe_web_dir_listing, nw_probe_web_exposed, nw_probe_web_headers,
    nw_probe_web_hidden_links, nw_probe_web_sqli, nw_probe_web_tamper, nw_probe_web_tls,
    nw_probe_web_xss;

const struct nw_probe *const nw_inspect_probes[] = {
    /* local and audit-self (I1) */
    &nw_probe_auditd, &nw_probe_backup_age, &nw_probe_clamav, &nw_probe_command,
    &nw_probe_cron_suspicious, &nw_probe_file_regex, &nw_probe_file_stat, &nw_probe_firewall,
    &nw_probe_ld_preload, &nw_probe_listening, &nw_probe_log_retention, &nw_probe_package,
    &nw_probe_pam_lockout, &nw_probe_pam_pwquality, &nw_probe_passwd, &nw_probe_pending_updates,
    &nw_probe_process, &nw_probe_store_health, &nw_probe_suid, &nw_probe_sysctl,
    &nw_probe_time_sync, &nw_probe_world_writable,

    /* network (I2) */
    &nw_probe_banner, &nw_probe_risky_service, &nw_probe_tcp_ports, &nw_probe_tls_service,

    /* weak credentials (I3) */
    &nw_probe_weak_ftp, &nw_probe_weak_http_basic, &nw_probe_weak_mysql, &nw_probe_weak_postgres,
    &nw_probe_weak_redis, &nw_probe_weak_ssh,

    /* websites (W1) */
    &nw_probe_web_dir_listing, &nw_probe_web_exposed, &nw_probe_web_headers,
    &nw_probe_web_hidden_links, &nw_probe_web_sqli, &nw_probe_web_tamper, &nw_probe_web_tls,
    &nw_probe_web_xss,

    NULL,
};

const struct nw_probe *nw_inspect_probe_find(const char *name)
{
    if (name == NULL) return NULL;
    for (size_t i = 0; nw_inspect_probes[i] != NULL; i++)
        if (strcmp(nw_inspect_probes[i]->name, name) == 0) return nw_inspect_probes[i];
    return NULL;
}
