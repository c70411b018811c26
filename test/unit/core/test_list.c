/* Unit tests of the intrusive list and queue. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/base/list.h"

typedef struct test_item {
    int id;
    vs_list_link_t link;
    vs_queue_elem_t queue;
} test_item_t;

static void check_order(vs_list_link_t *head, const int *ids, size_t count)
{
    test_item_t *item;
    size_t i = 0;

    vs_list_for_each(item, head, link) {
        assert_true(i < count);
        assert_int_equal(item->id, ids[i]);
        ++i;
    }
    assert_int_equal(i, count);
    assert_int_equal(vs_list_length(head), count);
    /* The back links agree with the forward ones. */
    for (vs_list_link_t *l = head->prev; l != head; l = l->prev) {
        assert_true(i > 0);
        --i;
        assert_int_equal(vs_list_entry(l, test_item_t, link)->id, ids[i]);
    }
}

static void test_list_order(void **state)
{
    test_item_t items[5] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3},
                            {.id = 4}};
    vs_list_link_t head;

    (void)state;
    vs_list_init(&head);
    assert_true(vs_list_is_empty(&head));
    assert_int_equal(vs_list_length(&head), 0);

    vs_list_add_tail(&head, &items[1].link);
    vs_list_add_tail(&head, &items[2].link);
    vs_list_add_head(&head, &items[0].link);
    vs_list_insert_after(&items[2].link, &items[4].link);
    vs_list_insert_after(&items[2].link, &items[3].link);
    assert_false(vs_list_is_empty(&head));
    check_order(&head, (const int[]){0, 1, 2, 3, 4}, 5);

    vs_list_del(&items[2].link);
    check_order(&head, (const int[]){0, 1, 3, 4}, 4);
    /* A removed link points to itself, so removing twice is harmless. */
    assert_ptr_equal(items[2].link.next, &items[2].link);
    vs_list_del(&items[0].link);
    vs_list_del(&items[4].link);
    check_order(&head, (const int[]){1, 3}, 2);
}

static void test_list_for_each_safe(void **state)
{
    test_item_t items[6];
    test_item_t *item, *tmp;
    vs_list_link_t head;

    (void)state;
    vs_list_init(&head);
    for (int i = 0; i < 6; ++i) {
        items[i].id = i;
        vs_list_add_tail(&head, &items[i].link);
    }
    /* Removing the current element while walking. */
    vs_list_for_each_safe(item, tmp, &head, link) {
        if (item->id % 2 == 0) {
            vs_list_del(&item->link);
        }
    }
    check_order(&head, (const int[]){1, 3, 5}, 3);
    vs_list_for_each_safe(item, tmp, &head, link) {
        vs_list_del(&item->link);
    }
    assert_true(vs_list_is_empty(&head));
}

static int pop_id(vs_queue_t *q)
{
    vs_queue_elem_t *elem = vs_queue_pop(q);
    assert_non_null(elem);
    return vs_container_of(elem, test_item_t, queue)->id;
}

static void test_queue(void **state)
{
    test_item_t items[4] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}};
    vs_queue_t q;

    (void)state;
    vs_queue_init(&q);
    assert_true(vs_queue_is_empty(&q));
    assert_null(vs_queue_pop(&q));
    assert_null(vs_queue_peek(&q));

    vs_queue_push(&q, &items[1].queue);
    vs_queue_push(&q, &items[2].queue);
    vs_queue_push_head(&q, &items[0].queue);
    assert_ptr_equal(vs_queue_peek(&q), &items[0].queue);
    assert_int_equal(pop_id(&q), 0);
    assert_int_equal(pop_id(&q), 1);
    assert_int_equal(pop_id(&q), 2);
    assert_true(vs_queue_is_empty(&q));

    /* The tail must be reset when the queue drains, or this push would
     * link into a popped element. */
    vs_queue_push(&q, &items[3].queue);
    assert_int_equal(pop_id(&q), 3);
    assert_null(vs_queue_pop(&q));

    /* push_head on an empty queue sets the tail too. */
    vs_queue_push_head(&q, &items[2].queue);
    vs_queue_push(&q, &items[1].queue);
    assert_int_equal(pop_id(&q), 2);
    assert_int_equal(pop_id(&q), 1);
    assert_true(vs_queue_is_empty(&q));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_order),
        cmocka_unit_test(test_list_for_each_safe),
        cmocka_unit_test(test_queue),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
