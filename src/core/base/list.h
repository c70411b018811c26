/*
 * Intrusive circular doubly linked list and singly linked queue. Elements
 * embed the link; nothing here allocates.
 */
#ifndef VS_LIST_H
#define VS_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include "compiler.h"

typedef struct vs_list_link {
    struct vs_list_link *prev;
    struct vs_list_link *next;
} vs_list_link_t;

static inline void vs_list_init(vs_list_link_t *head)
{
    head->prev = head->next = head;
}

static inline bool vs_list_is_empty(const vs_list_link_t *head)
{
    return head->next == head;
}

static inline void vs_list_insert_after(vs_list_link_t *pos,
                                        vs_list_link_t *elem)
{
    elem->prev = pos;
    elem->next = pos->next;
    pos->next->prev = elem;
    pos->next = elem;
}

static inline void vs_list_add_tail(vs_list_link_t *head, vs_list_link_t *elem)
{
    vs_list_insert_after(head->prev, elem);
}

static inline void vs_list_add_head(vs_list_link_t *head, vs_list_link_t *elem)
{
    vs_list_insert_after(head, elem);
}

static inline void vs_list_del(vs_list_link_t *elem)
{
    elem->prev->next = elem->next;
    elem->next->prev = elem->prev;
    elem->prev = elem->next = elem;
}

static inline size_t vs_list_length(const vs_list_link_t *head)
{
    size_t n = 0;
    for (const vs_list_link_t *l = head->next; l != head; l = l->next) {
        ++n;
    }
    return n;
}

#define vs_list_entry(link, type, member) vs_container_of(link, type, member)

/* Safe against removal of the current element. */
#define vs_list_for_each_safe(elem, tmp, head, member) \
    for (elem = vs_list_entry((head)->next, __typeof__(*elem), member), \
         tmp = vs_list_entry(elem->member.next, __typeof__(*elem), member); \
         &elem->member != (head); \
         elem = tmp, \
         tmp = vs_list_entry(tmp->member.next, __typeof__(*elem), member))

#define vs_list_for_each(elem, head, member) \
    for (elem = vs_list_entry((head)->next, __typeof__(*elem), member); \
         &elem->member != (head); \
         elem = vs_list_entry(elem->member.next, __typeof__(*elem), member))

/* Singly linked FIFO queue. */
typedef struct vs_queue_elem {
    struct vs_queue_elem *next;
} vs_queue_elem_t;

typedef struct vs_queue {
    vs_queue_elem_t *head;
    vs_queue_elem_t **ptail;
} vs_queue_t;

static inline void vs_queue_init(vs_queue_t *q)
{
    q->head = NULL;
    q->ptail = &q->head;
}

static inline bool vs_queue_is_empty(const vs_queue_t *q)
{
    return q->head == NULL;
}

static inline void vs_queue_push(vs_queue_t *q, vs_queue_elem_t *elem)
{
    elem->next = NULL;
    *q->ptail = elem;
    q->ptail = &elem->next;
}

static inline void vs_queue_push_head(vs_queue_t *q, vs_queue_elem_t *elem)
{
    elem->next = q->head;
    if (q->head == NULL) {
        q->ptail = &elem->next;
    }
    q->head = elem;
}

static inline vs_queue_elem_t *vs_queue_peek(const vs_queue_t *q)
{
    return q->head;
}

static inline vs_queue_elem_t *vs_queue_pop(vs_queue_t *q)
{
    vs_queue_elem_t *elem = q->head;
    if (elem != NULL) {
        q->head = elem->next;
        if (q->head == NULL) {
            q->ptail = &q->head;
        }
    }
    return elem;
}

#endif
