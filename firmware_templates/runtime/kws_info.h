/* The INFO document, rendered by the generator from the board file, the
 * model and the frontend configuration. */
#ifndef KWS_INFO_H
#define KWS_INFO_H

extern const char kws_info_json_head[];

#endif
