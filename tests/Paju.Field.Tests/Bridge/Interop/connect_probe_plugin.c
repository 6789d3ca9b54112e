/*
 * A mosquitto 2 plugin for tests: records what each client presented when it connected (client id,
 * MQTT protocol version, username, password) to the file given as plugin_opt_log, one tab-separated
 * line per connection, and lets it in. It stands in for Azure IoT Hub's authentication so a test
 * can check the SAS token a device sent over a real TLS connection.
 */
#include <stdio.h>
#include <string.h>
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

static mosquitto_plugin_id_t *plugin_id;
static FILE *log_file;

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
    for (int i = 0; i < supported_version_count; i++) {
        if (supported_versions[i] == 5) {
            return 5;
        }
    }
    return -1;
}

static int on_basic_auth(int event, void *event_data, void *userdata)
{
    struct mosquitto_evt_basic_auth *auth = event_data;
    (void)event;
    (void)userdata;
    fprintf(log_file, "%s\t%d\t%s\t%s\n", mosquitto_client_id(auth->client), mosquitto_client_protocol_version(auth->client),
            auth->username ? auth->username : "", auth->password ? auth->password : "");
    fflush(log_file);
    return MOSQ_ERR_SUCCESS;
}

static int on_acl_check(int event, void *event_data, void *userdata)
{
    (void)event;
    (void)event_data;
    (void)userdata;
    return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **user_data, struct mosquitto_opt *opts, int opt_count)
{
    const char *path = NULL;
    (void)user_data;
    for (int i = 0; i < opt_count; i++) {
        if (strcmp(opts[i].key, "log") == 0) {
            path = opts[i].value;
        }
    }
    if (path == NULL || (log_file = fopen(path, "a")) == NULL) {
        return MOSQ_ERR_UNKNOWN;
    }
    plugin_id = identifier;
    if (mosquitto_callback_register(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL) != MOSQ_ERR_SUCCESS) {
        return MOSQ_ERR_UNKNOWN;
    }
    return mosquitto_callback_register(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL);
}

int mosquitto_plugin_cleanup(void *user_data, struct mosquitto_opt *opts, int opt_count)
{
    (void)user_data;
    (void)opts;
    (void)opt_count;
    mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
    mosquitto_callback_unregister(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
    if (log_file != NULL) {
        fclose(log_file);
    }
    return MOSQ_ERR_SUCCESS;
}
