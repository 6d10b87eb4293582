/*
 * lazylib_syms.h - the libraries netwarden loads on first use and every
 * function it calls from them (lazylib.c; included several times, with
 * NW_LAZY_LIB(id, soname, needed_for) and/or NW_LAZY_FN(lib, name) defined).
 *
 * Calling a new function of one of these libraries: add it here, else the
 * link fails with "undefined reference". Sonames come from CMake
 * (cmake/LazyLibs.cmake: NW_SONAME_<ID>). Functions only, no data objects.
 */
#ifndef NW_LAZY_LIB
#define NW_LAZY_LIB(id, soname, needed_for)
#define NW_LAZY_LIB_UNDEF_
#endif
#ifndef NW_LAZY_FN
#define NW_LAZY_FN(lib, name)
#define NW_LAZY_FN_UNDEF_
#endif

NW_LAZY_LIB(curl, NW_SONAME_CURL, "ClickHouse output and queries (libcurl)")
NW_LAZY_FN(curl, curl_easy_cleanup)
NW_LAZY_FN(curl, curl_easy_escape)
NW_LAZY_FN(curl, curl_easy_getinfo)
NW_LAZY_FN(curl, curl_easy_init)
NW_LAZY_FN(curl, curl_easy_perform)
NW_LAZY_FN(curl, curl_easy_reset)
NW_LAZY_FN(curl, curl_easy_setopt)
NW_LAZY_FN(curl, curl_easy_strerror)
NW_LAZY_FN(curl, curl_free)
NW_LAZY_FN(curl, curl_global_init)
NW_LAZY_FN(curl, curl_slist_append)
NW_LAZY_FN(curl, curl_slist_free_all)

NW_LAZY_LIB(xml2, NW_SONAME_XML2, "the inspect web checks (libxml2)")
NW_LAZY_FN(xml2, htmlReadMemory)
NW_LAZY_FN(xml2, xmlDocGetRootElement)
NW_LAZY_FN(xml2, xmlFreeDoc)
NW_LAZY_FN(xml2, xmlSetGenericErrorFunc)

NW_LAZY_LIB(yaml, NW_SONAME_YAML, "inspect check files (libyaml)")
NW_LAZY_FN(yaml, yaml_document_delete)
NW_LAZY_FN(yaml, yaml_document_get_node)
NW_LAZY_FN(yaml, yaml_document_get_root_node)
NW_LAZY_FN(yaml, yaml_parser_delete)
NW_LAZY_FN(yaml, yaml_parser_initialize)
NW_LAZY_FN(yaml, yaml_parser_load)
NW_LAZY_FN(yaml, yaml_parser_set_input_string)

NW_LAZY_LIB(ssh, NW_SONAME_SSH, "the inspect SSH credential check (libssh)")
NW_LAZY_FN(ssh, ssh_connect)
NW_LAZY_FN(ssh, ssh_disconnect)
NW_LAZY_FN(ssh, ssh_finalize)
NW_LAZY_FN(ssh, ssh_free)
NW_LAZY_FN(ssh, ssh_get_error)
NW_LAZY_FN(ssh, ssh_get_serverbanner)
NW_LAZY_FN(ssh, ssh_init)
NW_LAZY_FN(ssh, ssh_new)
NW_LAZY_FN(ssh, ssh_options_set)
NW_LAZY_FN(ssh, ssh_userauth_kbdint)
NW_LAZY_FN(ssh, ssh_userauth_kbdint_getnprompts)
NW_LAZY_FN(ssh, ssh_userauth_kbdint_getprompt)
NW_LAZY_FN(ssh, ssh_userauth_kbdint_setanswer)
NW_LAZY_FN(ssh, ssh_userauth_list)
NW_LAZY_FN(ssh, ssh_userauth_none)
NW_LAZY_FN(ssh, ssh_userauth_password)

NW_LAZY_LIB(mariadb, NW_SONAME_MARIADB, "the inspect MySQL credential check (libmariadb)")
NW_LAZY_FN(mariadb, mysql_close)
NW_LAZY_FN(mariadb, mysql_errno)
NW_LAZY_FN(mariadb, mysql_error)
NW_LAZY_FN(mariadb, mysql_get_server_info)
NW_LAZY_FN(mariadb, mysql_init)
NW_LAZY_FN(mariadb, mysql_options)
NW_LAZY_FN(mariadb, mysql_real_connect)

NW_LAZY_LIB(pq, NW_SONAME_PQ, "the inspect PostgreSQL credential check (libpq)")
NW_LAZY_FN(pq, PQconnectdbParams)
NW_LAZY_FN(pq, PQerrorMessage)
NW_LAZY_FN(pq, PQfinish)
NW_LAZY_FN(pq, PQserverVersion)
NW_LAZY_FN(pq, PQstatus)

NW_LAZY_LIB(pangocairo, NW_SONAME_PANGOCAIRO, "PDF reports (pango)")
NW_LAZY_FN(pangocairo, pango_cairo_context_set_resolution)
NW_LAZY_FN(pangocairo, pango_cairo_create_context)
NW_LAZY_FN(pangocairo, pango_cairo_show_layout)

NW_LAZY_LIB(pango, NW_SONAME_PANGO, "PDF reports (pango)")
NW_LAZY_FN(pango, pango_font_description_free)
NW_LAZY_FN(pango, pango_font_description_from_string)
NW_LAZY_FN(pango, pango_font_description_set_absolute_size)
NW_LAZY_FN(pango, pango_font_description_set_weight)
NW_LAZY_FN(pango, pango_layout_get_size)
NW_LAZY_FN(pango, pango_layout_new)
NW_LAZY_FN(pango, pango_layout_set_alignment)
NW_LAZY_FN(pango, pango_layout_set_font_description)
NW_LAZY_FN(pango, pango_layout_set_spacing)
NW_LAZY_FN(pango, pango_layout_set_text)
NW_LAZY_FN(pango, pango_layout_set_width)
NW_LAZY_FN(pango, pango_layout_set_wrap)

NW_LAZY_LIB(gobject, NW_SONAME_GOBJECT, "PDF reports (GObject)")
NW_LAZY_FN(gobject, g_object_unref)

NW_LAZY_LIB(glib, NW_SONAME_GLIB, "PDF reports (GLib)")
NW_LAZY_FN(glib, g_free)
NW_LAZY_FN(glib, g_utf8_make_valid)

NW_LAZY_LIB(cairo, NW_SONAME_CAIRO, "PDF reports (cairo)")
NW_LAZY_FN(cairo, cairo_arc)
NW_LAZY_FN(cairo, cairo_clip)
NW_LAZY_FN(cairo, cairo_create)
NW_LAZY_FN(cairo, cairo_destroy)
NW_LAZY_FN(cairo, cairo_fill)
NW_LAZY_FN(cairo, cairo_line_to)
NW_LAZY_FN(cairo, cairo_move_to)
NW_LAZY_FN(cairo, cairo_new_path)
NW_LAZY_FN(cairo, cairo_pdf_surface_add_outline)
NW_LAZY_FN(cairo, cairo_pdf_surface_create_for_stream)
NW_LAZY_FN(cairo, cairo_pdf_surface_set_metadata)
NW_LAZY_FN(cairo, cairo_rectangle)
NW_LAZY_FN(cairo, cairo_restore)
NW_LAZY_FN(cairo, cairo_save)
NW_LAZY_FN(cairo, cairo_set_line_width)
NW_LAZY_FN(cairo, cairo_set_source_rgb)
NW_LAZY_FN(cairo, cairo_show_page)
NW_LAZY_FN(cairo, cairo_status_to_string)
NW_LAZY_FN(cairo, cairo_stroke)
NW_LAZY_FN(cairo, cairo_surface_destroy)
NW_LAZY_FN(cairo, cairo_surface_finish)
NW_LAZY_FN(cairo, cairo_surface_status)

NW_LAZY_LIB(pcap, NW_SONAME_PCAP, "packet capture and pcap files (libpcap)")
NW_LAZY_FN(pcap, pcap_activate)
NW_LAZY_FN(pcap, pcap_breakloop)
NW_LAZY_FN(pcap, pcap_close)
NW_LAZY_FN(pcap, pcap_create)
NW_LAZY_FN(pcap, pcap_datalink)
NW_LAZY_FN(pcap, pcap_datalink_val_to_name)
NW_LAZY_FN(pcap, pcap_file)
NW_LAZY_FN(pcap, pcap_fopen_offline_with_tstamp_precision)
NW_LAZY_FN(pcap, pcap_geterr)
NW_LAZY_FN(pcap, pcap_next_ex)
NW_LAZY_FN(pcap, pcap_set_buffer_size)
NW_LAZY_FN(pcap, pcap_set_promisc)
NW_LAZY_FN(pcap, pcap_set_snaplen)
NW_LAZY_FN(pcap, pcap_set_timeout)
NW_LAZY_FN(pcap, pcap_stats)

#ifdef NW_LAZY_LIB_UNDEF_
#undef NW_LAZY_LIB
#undef NW_LAZY_LIB_UNDEF_
#endif
#ifdef NW_LAZY_FN_UNDEF_
#undef NW_LAZY_FN
#undef NW_LAZY_FN_UNDEF_
#endif
