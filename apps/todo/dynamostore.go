package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// dynamoStore keeps todos in a DynamoDB table whose partition key is owner
// (S) and sort key id (S), with the attributes data (S) and createdAt (S,
// RFC 3339 with nanoseconds). An owner's todos are one partition sorted by
// id, so a page is a Query with Limit and ExclusiveStartKey: it reads the
// page and nothing else, however many items the owner has. Nothing ever
// scans the table.
type dynamoStore struct {
	client  *dynamodb.Client
	table   string
	timeout time.Duration // for each call, retries included
	hooks
}

// dynamoTimeout bounds every DynamoDB call, retries included, so a slow or
// unreachable DynamoDB turns into a quick 503 rather than a request that
// hangs until the client gives up.
const dynamoTimeout = 3 * time.Second

func newDynamoStore(client *dynamodb.Client, table string) *dynamoStore {
	return &dynamoStore{client: client, table: table, timeout: dynamoTimeout, hooks: defaultHooks()}
}

func (s *dynamoStore) key(owner, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"owner": &types.AttributeValueMemberS{Value: owner},
		"id":    &types.AttributeValueMemberS{Value: id},
	}
}

func (s *dynamoStore) Create(ctx context.Context, owner, data string) (Todo, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	created := s.now().UTC()
	id, err := createWithRetry(s.newID, func(id string) error {
		item := s.key(owner, id)
		item["data"] = &types.AttributeValueMemberS{Value: data}
		item["createdAt"] = &types.AttributeValueMemberS{Value: created.Format(time.RFC3339Nano)}
		_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &s.table,
			Item:      item,
			// Never overwrite: the condition is checked atomically
			// with the write.
			ConditionExpression: aws.String("attribute_not_exists(id)"),
		})
		if isConditionFailed(err) {
			return s.checkOwnWrite(ctx, owner, id, data, created)
		}
		return err
	})
	if err != nil {
		return Todo{}, fmt.Errorf("dynamodb PutItem: %w", err)
	}
	return Todo{ID: id, Data: data, CreatedAt: created}, nil
}

// checkOwnWrite decides what a failed attribute_not_exists(id) condition
// means. The SDK retries a PutItem whose response was lost (a reset
// connection, a timeout), and if the first attempt had in fact been written
// the retry fails the condition on our own item. That item has the same
// data and the same nanosecond createdAt, which another create could not
// have, so it is a success; anything else is a real id conflict. Without
// this check a lost response would leave a stray duplicate behind.
func (s *dynamoStore) checkOwnWrite(ctx context.Context, owner, id, data string, created time.Time) error {
	t, err := s.Get(ctx, owner, id)
	switch {
	case errors.Is(err, ErrNotFound):
		// Deleted in between; the id is still not safe to reuse.
		return errIDConflict
	case err != nil:
		return err
	case t.Data == data && t.CreatedAt.Equal(created):
		return nil
	}
	return errIDConflict
}

func (s *dynamoStore) Get(ctx context.Context, owner, id string) (Todo, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table,
		Key:       s.key(owner, id),
		// A client that creates and then reads must see its item.
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Todo{}, fmt.Errorf("dynamodb GetItem: %w", err)
	}
	if out.Item == nil {
		return Todo{}, ErrNotFound
	}
	return decodeDynamoItem(out.Item)
}

func (s *dynamoStore) Delete(ctx context.Context, owner, id string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table,
		Key:       s.key(owner, id),
		// One round trip tells a deletion from a miss.
		ConditionExpression: aws.String("attribute_exists(id)"),
	})
	if isConditionFailed(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("dynamodb DeleteItem: %w", err)
	}
	return nil
}

func (s *dynamoStore) List(ctx context.Context, owner string, limit int, cursor string) ([]Todo, string, error) {
	var start map[string]types.AttributeValue
	if cursor != "" {
		id, err := decodeDynamoCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		// The owner always comes from the request, never from the
		// cursor, so a cursor cannot lead into another partition.
		start = s.key(owner, id)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	// Ask for one item more than the page: if it exists there is a next
	// page, and if not the client gets no cursor pointing at an empty
	// page. A Query stops early at 1 MB, which a page of large items can
	// reach, so keep going until the page is full or the partition ends.
	want := limit + 1
	items := make([]Todo, 0, want)
	for {
		out, err := s.client.Query(ctx, &dynamodb.QueryInput{
			TableName:              &s.table,
			KeyConditionExpression: aws.String("#owner = :owner"),
			ExpressionAttributeNames: map[string]string{
				"#owner": "owner",
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":owner": &types.AttributeValueMemberS{Value: owner},
			},
			ExclusiveStartKey: start,
			Limit:             aws.Int32(int32(want - len(items))),
			ConsistentRead:    aws.Bool(true),
			ScanIndexForward:  aws.Bool(true),
		})
		if err != nil {
			return nil, "", fmt.Errorf("dynamodb Query: %w", err)
		}
		for _, av := range out.Items {
			t, err := decodeDynamoItem(av)
			if err != nil {
				return nil, "", err
			}
			items = append(items, t)
		}
		if len(items) >= want || len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	if len(items) > limit {
		items = items[:limit]
		return items, encodeDynamoCursor(items[limit-1].ID), nil
	}
	return items, "", nil
}

// Ping reads a key no owner can have ("#" is not allowed in owners): one
// GetItem that fails if DynamoDB is unreachable, the credentials are wrong
// or the table is missing. It takes the same permission and path as real
// requests, so the instance role needs only the GetItem it already has.
func (s *dynamoStore) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if _, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table,
		Key:       s.key("#ping", "#ping"),
	}); err != nil {
		return fmt.Errorf("dynamodb GetItem (ping): %w", err)
	}
	return nil
}

// Close does nothing: the client holds only idle HTTP connections.
func (s *dynamoStore) Close() error { return nil }

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func decodeDynamoItem(av map[string]types.AttributeValue) (Todo, error) {
	var t Todo
	id, ok1 := av["id"].(*types.AttributeValueMemberS)
	data, ok2 := av["data"].(*types.AttributeValueMemberS)
	if !ok1 || !ok2 {
		return Todo{}, errors.New("dynamodb item without string id and data")
	}
	t.ID, t.Data = id.Value, data.Value
	if c, ok := av["createdAt"].(*types.AttributeValueMemberS); ok {
		// An unparsable time is not worth failing a read for.
		t.CreatedAt, _ = time.Parse(time.RFC3339Nano, c.Value)
	}
	return t, nil
}

// dynamoCursor is the JSON inside a DynamoDB list cursor: the id part of
// the LastEvaluatedKey. The owner part is left out on purpose.
type dynamoCursor struct {
	ID string `json:"id"`
}

func encodeDynamoCursor(id string) string {
	b, _ := json.Marshal(dynamoCursor{ID: id}) // a struct of one string always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeDynamoCursor returns the id in cursor, or ErrBadCursor unless cursor
// is exactly what encodeDynamoCursor makes for a valid id: any other
// spelling of the same JSON, extra fields or a malformed id are refused.
func decodeDynamoCursor(cursor string) (string, error) {
	if len(cursor) > 128 {
		return "", ErrBadCursor
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil {
		return "", ErrBadCursor
	}
	// The round trip refuses what Unmarshal lets through: extra fields,
	// another spelling of the key, white space.
	var c dynamoCursor
	if err := json.Unmarshal(b, &c); err != nil || !validID(c.ID) || encodeDynamoCursor(c.ID) != cursor {
		return "", ErrBadCursor
	}
	return c.ID, nil
}
